//! Files and directories only their owner can read: the database (API keys,
//! params and results), its write-ahead log, and uploaded files.

use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents, the new ones readable by their
/// owner only (0700 on Unix).
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes sure `file` exists and only its owner can read or write it (0600
/// on Unix): created so when missing, tightened when it was wider. SQLite
/// gives its `-wal` and `-shm` files the database file's permissions.
pub fn restrict_file(file: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let opened = options.open(file)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = opened.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                "{} was readable by other users (mode {:o}); now only by its owner",
                file.display(),
                mode & 0o777
            );
            opened.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}
