//! The embedded Interval-compatible server (see issue: interval-server).
