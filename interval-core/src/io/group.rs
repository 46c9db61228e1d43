//! `io.group`: several I/O calls rendered as one form.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use super::call::{take, Choice, Choosable, Groupable, IoCall, WithChoices};
use super::component::Component;
use super::handle::Io;
use super::render::{Call, GroupValidator};
use crate::error::Result;

/// Something that can be one field of a group: an [`IoCall`].
pub trait GroupMember: Send + 'static {
    /// The value it resolves to.
    type Output: Send + 'static;
    #[doc(hidden)]
    fn component(self) -> Box<dyn Component>;
}

impl<K: Groupable + 'static, O: Send + 'static> GroupMember for IoCall<K, O> {
    type Output = O;
    fn component(self) -> Box<dyn Component> {
        self.into_component()
    }
}

/// The members of a group: a tuple of up to 12 I/O calls, or a `Vec` of calls
/// of one type.
pub trait GroupMembers: Send + 'static {
    /// The values, in the same shape.
    type Output: Send + 'static;
    #[doc(hidden)]
    fn components(self) -> Vec<Box<dyn Component>>;
    #[doc(hidden)]
    fn collect(components: &mut [Box<dyn Component>]) -> Result<Self::Output>;
}

macro_rules! tuple_members {
    ($($name:ident $index:tt),+) => {
        impl<$($name: GroupMember),+> GroupMembers for ($($name,)+) {
            type Output = ($($name::Output,)+);
            fn components(self) -> Vec<Box<dyn Component>> {
                vec![$(self.$index.component()),+]
            }
            fn collect(components: &mut [Box<dyn Component>]) -> Result<Self::Output> {
                Ok(($(take::<$name::Output>(components, $index)?,)+))
            }
        }
    };
}

tuple_members!(A 0);
tuple_members!(A 0, B 1);
tuple_members!(A 0, B 1, C 2);
tuple_members!(A 0, B 1, C 2, D 3);
tuple_members!(A 0, B 1, C 2, D 3, E 4);
tuple_members!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_members!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_members!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_members!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_members!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_members!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_members!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

impl<M: GroupMember> GroupMembers for Vec<M> {
    type Output = Vec<M::Output>;
    fn components(self) -> Vec<Box<dyn Component>> {
        self.into_iter().map(GroupMember::component).collect()
    }
    fn collect(components: &mut [Box<dyn Component>]) -> Result<Self::Output> {
        (0..components.len())
            .map(|i| take::<M::Output>(components, i))
            .collect()
    }
}

/// A group of I/O calls; `.await` it for all their values at once.
#[must_use = "a group does nothing until awaited"]
pub struct Group<M: GroupMembers> {
    io: Io,
    members: M,
    validator: Option<Arc<GroupValidator<M::Output>>>,
}

impl<M: GroupMembers> std::fmt::Debug for Group<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group").finish_non_exhaustive()
    }
}

impl<M: GroupMembers> Group<M> {
    pub(super) fn new(io: Io, members: M) -> Self {
        Group {
            io,
            members,
            validator: None,
        }
    }

    /// Checks all values together once each field is valid: `Err(message)`
    /// shows the message above the form and asks again.
    pub fn validate(
        mut self,
        validator: impl Fn(&M::Output) -> std::result::Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.validator = Some(Arc::new(move |_: &str, values: &M::Output| {
            validator(values)
        }));
        self
    }

    /// Renders submit buttons instead of "Continue"; the result becomes
    /// `(choice, values)`. Its [`validate`](WithChoices::validate) sees the
    /// clicked choice too (and replaces this group's own validator, as in
    /// the Node SDK).
    pub fn with_choices<C: Into<Choice>>(
        self,
        choices: impl IntoIterator<Item = C>,
    ) -> WithChoices<Self> {
        WithChoices::new(self, choices)
    }
}

impl<M: GroupMembers> Choosable for Group<M> {
    type Value = M::Output;
}

impl<M: GroupMembers> IntoFuture for WithChoices<Group<M>> {
    type Output = Result<(String, M::Output)>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let group = self.inner;
            let validator = self.validator.or(group.validator);
            let submitted = group
                .io
                .run(&mut Call {
                    components: group.members.components(),
                    choice_buttons: Some(self.buttons),
                    collect: M::collect,
                    validate: validator.as_deref(),
                })
                .await?;
            Ok((submitted.choice.unwrap_or_default(), submitted.value))
        })
    }
}

impl<M: GroupMembers> IntoFuture for Group<M> {
    type Output = Result<M::Output>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let validator = self.validator;
            let submitted = self
                .io
                .run(&mut Call {
                    components: self.members.components(),
                    choice_buttons: None,
                    collect: M::collect,
                    validate: validator.as_deref(),
                })
                .await?;
            Ok(submitted.value)
        })
    }
}

impl Io {
    /// Several I/O calls rendered as one form; resolves to a tuple of their
    /// values (or a `Vec` for a `Vec` of calls of one type).
    pub fn group<M: GroupMembers>(&self, members: M) -> Group<M> {
        Group::new(self.clone(), members)
    }
}
