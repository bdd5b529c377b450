export * from './enr.js';
export * from './fields.js';
