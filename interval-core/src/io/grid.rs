//! `io.display().grid`: cards paged and searched on the host.

use std::any::Any;
use std::marker::PhantomData;

use serde::Serialize;
use serde_json::{json, Value};

use super::call::IoCall;
use super::call::{DisplayKind, Groupable};
use super::component::{Behavior, LocalFuture, Props};
use super::display::Displays;
use super::table::{display_rows_for, filter_text, TableQuery, TABLE_DATA_BUFFER_SIZE};
use crate::menu::MenuItem;

/// Marker of `io.display().grid` (`DISPLAY_GRID`) over items of type `T`.
#[derive(Debug)]
pub struct Grid<T>(PhantomData<fn() -> T>);
impl<T> Groupable for Grid<T> {}
impl<T> DisplayKind for Grid<T> {}

impl Displays<'_> {
    /// A grid of cards, one per item, rendered by `render`. As Node's SDK,
    /// the host sends the first 500 cards at once and answers the
    /// dashboard's searches and pages with up to three pages of cards (at
    /// most 500).
    pub fn grid<T: Serialize + Send + 'static>(
        &self,
        label: impl Into<String>,
        items: impl IntoIterator<Item = T>,
        render: impl Fn(&T) -> GridItem + Send + Sync + 'static,
    ) -> IoCall<Grid<T>, ()> {
        self.with(
            "DISPLAY_GRID",
            label,
            GridBehavior {
                data: items.into_iter().collect(),
                render: Box::new(render),
                cards: Vec::new(),
                filters: Vec::new(),
            },
        )
    }
}

/// How a grid card's picture fills its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFit {
    /// Fills the box, cropped to its shape.
    Cover,
    /// Whole, inside the box.
    Contain,
}

/// A card of `io.display().grid`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GridItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    menu: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<Value>,
}

impl GridItem {
    /// A card titled `label`.
    pub fn new(label: impl Into<String>) -> Self {
        GridItem {
            label: Some(label.into()),
            ..GridItem::default()
        }
    }

    /// Text under the title.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// A picture at `url`.
    pub fn image_url(self, url: impl Into<String>) -> Self {
        self.image_prop("url", Value::String(url.into()))
    }

    /// The picture's alt text: what it shows, for someone who cannot see it.
    pub fn image_alt(self, alt: impl Into<String>) -> Self {
        self.image_prop("alt", Value::String(alt.into()))
    }

    /// How the picture fills its box (the dashboard's default: cover).
    pub fn image_fit(self, fit: ImageFit) -> Self {
        let fit = match fit {
            ImageFit::Cover => "cover",
            ImageFit::Contain => "contain",
        };
        self.image_prop("fit", Value::String(fit.into()))
    }

    /// The shape of the picture's box, width / height (`1.0`: square).
    pub fn image_aspect_ratio(self, ratio: f64) -> Self {
        self.image_prop("aspectRatio", json!(ratio))
    }

    fn image_prop(mut self, key: &str, value: Value) -> Self {
        let image = self.image.get_or_insert_with(|| json!({}));
        if let Some(image) = image.as_object_mut() {
            image.insert(key.into(), value);
        }
        self
    }

    /// Opens a URL when clicked.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Opens an action or page when clicked.
    pub fn route(mut self, route: impl Into<String>, params: impl Serialize) -> Self {
        self.route = Some(route.into());
        self.params = serde_json::to_value(params).ok().filter(Value::is_object);
        self
    }

    /// A menu on the card.
    pub fn menu_item(mut self, item: MenuItem) -> Self {
        self.menu.get_or_insert_with(Vec::new).push(item.to_value());
        self
    }
}

/// `DISPLAY_GRID` over items held by the host.
pub(super) struct GridBehavior<T> {
    pub(super) data: Vec<T>,
    pub(super) render: Box<dyn Fn(&T) -> GridItem + Send + Sync>,
    pub(super) cards: Vec<Value>,
    pub(super) filters: Vec<String>,
}

impl<T> GridBehavior<T> {
    /// Puts in `props` (`data`, `totalRecords`) `count` of the cards
    /// matching `query`, from its `offset`.
    fn cards_into(&self, query: &TableQuery, count: usize, props: &mut Props) {
        let term = query.query_term.clone().unwrap_or_default().to_lowercase();
        let matching: Vec<usize> = (0..self.cards.len())
            .filter(|&i| term.is_empty() || self.filters[i].contains(&term))
            .collect();
        let data: Vec<Value> = matching
            .iter()
            .skip(query.offset)
            .take(count)
            .map(|&i| json!({"key": i.to_string(), "data": self.cards[i]}))
            .collect();
        props.insert("data".into(), Value::Array(data));
        props.insert("totalRecords".into(), json!(matching.len()));
    }
}

impl<T: Serialize + Send + 'static> Behavior<()> for GridBehavior<T> {
    fn init(&mut self, props: &mut Props) -> Result<(), String> {
        for item in &self.data {
            let card = serde_json::to_value((self.render)(item)).map_err(|e| e.to_string())?;
            let own = serde_json::to_value(item).map_err(|e| e.to_string())?;
            let filter = match &own {
                Value::Object(map) => filter_text(map.values()),
                other => filter_text(std::iter::once(other)),
            };
            self.cards.push(card);
            self.filters.push(filter);
        }
        // As Node's: the first 500 cards, `totalRecords` all of them.
        self.cards_into(&TableQuery::default(), TABLE_DATA_BUFFER_SIZE, props);
        props.insert("isAsync".into(), Value::Bool(false));
        Ok(())
    }

    fn is_stateful(&self) -> bool {
        true
    }

    fn set_state<'a>(
        &'a mut self,
        state: Value,
        props: &'a mut Props,
    ) -> LocalFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let query: TableQuery = serde_json::from_value(state).map_err(|e| e.to_string())?;
            // As Node's: the page asked for and the next two, at most 500.
            self.cards_into(&query, display_rows_for(query.page_size), props);
            Ok(())
        })
    }

    fn parse(&mut self, _value: Value) -> Result<(), String> {
        Ok(())
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

impl<T, O: Send + 'static> IoCall<Grid<T>, O> {
    /// Help text under the grid.
    pub fn help_text(self, text: impl Into<String>) -> Self {
        self.prop("helpText", text.into())
    }

    /// The ideal card width, in pixels.
    pub fn ideal_column_width(self, pixels: u32) -> Self {
        self.prop("idealColumnWidth", pixels)
    }

    /// Cards per page at first, in the dashboard (the cards sent up front
    /// do not depend on it).
    pub fn default_page_size(self, size: u32) -> Self {
        self.prop("defaultPageSize", size)
    }

    /// Lets the runner search (default true).
    pub fn filterable(self, yes: bool) -> Self {
        self.prop("isFilterable", yes)
    }
}

#[cfg(test)]
mod tests {
    use super::{GridItem, ImageFit};
    use serde_json::json;

    #[test]
    fn a_card_image_with_its_alt_fit_and_aspect_ratio() {
        let card = GridItem::new("Cat")
            .image_alt("a cat")
            .image_url("https://example.com/cat.png")
            .image_fit(ImageFit::Contain)
            .image_aspect_ratio(1.5);
        assert_eq!(
            serde_json::to_value(card).unwrap(),
            json!({"label": "Cat", "image": {
                "url": "https://example.com/cat.png", "alt": "a cat", "fit": "contain", "aspectRatio": 1.5
            }})
        );
    }
}
