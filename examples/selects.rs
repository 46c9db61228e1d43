//! Selects: one option of your own type, several strings, and a search
//! through your data. `cargo run --example selects`.

use interval::io::{SearchResult, SelectOption, ToOption};
use interval::{Action, Error, Interval, Routes};

/// A plan as the application knows it; the select returns it as is.
#[derive(Clone, serde::Serialize)]
pub struct Plan {
    id: u32,
    name: &'static str,
    price: u32,
}

impl ToOption for Plan {
    fn to_option(&self) -> SelectOption {
        SelectOption::new(self.name, self.id).description(format!("${}/month", self.price))
    }
}

fn plans() -> Vec<Plan> {
    let plan = |id, name, price| Plan { id, name, price };
    vec![
        plan(1, "Free", 0),
        plan(2, "Team", 20),
        plan(3, "Business", 99),
    ]
}

/// The routes of this example.
pub fn routes() -> Routes {
    Routes::new().action(
        "change-plan",
        Action::new(|io, _ctx| async move {
            let customer = io
                .search(
                    "Customer",
                    |query: String| async move {
                        let all = ["ada@example.com", "grace@example.com", "alan@example.com"];
                        Ok::<_, Error>(all.into_iter().filter(|c| c.contains(&query)).collect())
                    },
                    |c: &&str| SearchResult::new(*c),
                )
                .initial_results(["ada@example.com"])
                .await?;
            let plan = io.select().single("Plan", plans()).searchable(true).await?;
            let addons = io
                .select()
                .multiple("Add-ons", ["SSO", "Audit log", "Priority support"])
                .await?;
            Ok::<_, Error>(
                serde_json::json!({ "customer": customer, "plan": plan, "addons": addons }),
            )
        })
        .name("Change a plan"),
    )
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let interval = Interval::from_env().routes(routes()).build();
    interval.listen().await?;
    // Ctrl-C or SIGTERM: close safely (a second one closes at once).
    interval.run_until_signal().await?;
    Ok(())
}
