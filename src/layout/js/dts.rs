//! The TypeScript types of the generated module.
use super::{Graph, JsOptions};
pub(super) fn types(_g: &Graph, _o: &JsOptions) -> String {
    String::new()
}
