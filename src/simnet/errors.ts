import { DhtscopeError } from '../util/errors.js';

export class SimnetError extends DhtscopeError {}
