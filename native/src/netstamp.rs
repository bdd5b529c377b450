//! Kernel receive timestamps for datagrams read by node's own UDP sockets.
//!
//! libuv reads one datagram per recvmsg() and hands it to JavaScript before
//! the next read, so right after a datagram reaches JS, SIOCGSTAMPNS on its
//! socket returns when the kernel received that datagram. The difference to
//! now is how long it waited in the socket and the event loop: subtracting it
//! from the time JS saw the datagram gives an arrival time close to the wire,
//! so round trips stay true while the loop is busy.

/// Receive-queue delay of the datagram last read from `fd`, in nanoseconds:
/// now minus its kernel receive timestamp. None when the kernel has none yet
/// (the first call on a socket turns timestamping on), or on other systems.
#[cfg(target_os = "linux")]
pub fn recv_delay_ns(fd: i32) -> Option<f64> {
    use std::ffi::{c_int, c_ulong};
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
        fn clock_gettime(clock: c_int, ts: *mut Timespec) -> c_int;
    }
    // linux/sockios.h: SIOCGSTAMPNS_OLD, a struct timespec of two longs (64-bit targets).
    const SIOCGSTAMPNS: c_ulong = 0x8907;
    const CLOCK_REALTIME: c_int = 0;
    const NS: f64 = 1e9;
    if fd < 0 || std::mem::size_of::<std::ffi::c_long>() != 8 {
        return None;
    }
    let mut stamp = Timespec { tv_sec: 0, tv_nsec: 0 };
    let mut now = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: both calls write one Timespec we own; a bad fd only makes ioctl fail.
    unsafe {
        if ioctl(fd, SIOCGSTAMPNS, &mut stamp as *mut Timespec) != 0 {
            return None;
        }
        if clock_gettime(CLOCK_REALTIME, &mut now) != 0 {
            return None;
        }
    }
    let d = (now.tv_sec - stamp.tv_sec) as f64 * NS + (now.tv_nsec - stamp.tv_nsec) as f64;
    // A stamp from the future (clock stepped) or older than a minute (stale) says nothing about this datagram.
    const MAX_DELAY_NS: f64 = 60.0 * NS;
    if (0.0..MAX_DELAY_NS).contains(&d) {
        Some(d)
    } else {
        None
    }
}

#[cfg(not(target_os = "linux"))]
pub fn recv_delay_ns(_fd: i32) -> Option<f64> {
    None
}
