use interval::action;

/// Lists recent sign-ins (a page nested in a page: `users/admin`).
#[action]
async fn audit_log() -> Vec<&'static str> {
    super::super::all_users()
}
