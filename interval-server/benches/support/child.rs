//! A server run as a child process of a bench binary (the same binary, with
//! a mode argument), so that its memory is measured apart from the load.

use std::io::BufRead;

/// The child, and the first line it printed (its address).
pub struct Child(pub std::process::Child, pub String);

impl Child {
    /// Runs this binary with `mode`; waits for its first line.
    pub fn start(mode: &str) -> Child {
        let mut child = std::process::Command::new(std::env::current_exe().expect("this binary"))
            .arg(mode)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the child starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("its first line");
        Child(child, line.trim().to_owned())
    }

    /// Its resident memory (VmRSS), in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
