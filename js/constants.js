'use strict'
// Every layout constant: the generic ones (block geometry, hand-off record fields, pool
// defaults) and the JSON layout's, both generated from the Rust definitions into
// js/generated/ (src/js_constants.rs).
module.exports = Object.freeze({ ...require('./generated/constants'), ...require('./generated/json-constants') })
