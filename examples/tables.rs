//! Tables: 10,000 rows shown a page at a time (paged, sorted and searched by
//! the host), then rows picked from a table. `cargo run --example tables`.

use interval::io::{Cell, Column, HighlightColor};
use interval::{Action, Error, Interval, Routes};

/// An order.
#[derive(Clone, serde::Serialize)]
pub struct Order {
    id: u32,
    customer: String,
    total: f64,
}

fn orders() -> impl Iterator<Item = Order> {
    (1..=10_000).map(|id| Order {
        id,
        customer: format!("customer{}@example.com", id % 97),
        total: f64::from(id % 500) + 0.99,
    })
}

/// The routes of this example.
pub fn routes() -> Routes {
    Routes::new().action(
        "refund",
        Action::new(|io, _ctx| async move {
            io.display()
                .table("All orders", orders())
                .columns([
                    Column::new("Order").accessor("id"),
                    Column::new("Customer").accessor("customer"),
                    Column::new("Total").render(|o: &Order| {
                        let cell = Cell::new(format!("${:.2}", o.total)).value(o.total);
                        if o.total > 400.0 {
                            cell.highlight(HighlightColor::Red)
                        } else {
                            cell
                        }
                    }),
                ])
                .default_page_size(20)
                .await?;
            let picked = io
                .select()
                .table("Orders to refund", orders().filter(|o| o.total > 450.0))
                .columns(["id", "customer", "total"])
                .min_selections(1)
                .await?;
            let sum: f64 = picked.iter().map(|o| o.total).sum();
            Ok::<_, Error>(format!("Refunded {} orders, ${sum:.2}", picked.len()))
        })
        .name("Refund orders"),
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
