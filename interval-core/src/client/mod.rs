//! The public face of the runtime: the [`Interval`] client, its builder, and
//! the supervisor that keeps its connection up.

mod builder;
mod interval;
mod supervisor;

pub use builder::IntervalBuilder;
pub use interval::Interval;
