//! `#[derive(Layout)]` for `raw_transfer::layout` (use it through `raw_transfer`, feature
//! `layout`): states a type's memory layout as the compiler computed it, for the JS reader
//! generator.
//!
//! Nothing here computes a size, offset or discriminant: the generated code asks the
//! compiler (`size_of`, `align_of`, `offset_of!`, casts of a fieldless shadow enum, `None`
//! read in a `const`). An enum with data is described through `#[repr(C)]` shadow structs
//! laid out as RFC 2195 defines such enums, and their size and alignment are asserted equal
//! to the enum's at compile time.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Data, DeriveInput, Error, Expr, ExprLit, Fields, GenericParam, Ident, Lifetime, Lit,
    Meta, Token, Type,
};

/// Derive `raw_transfer::layout::Layout` (and `Niche` for enums); see that trait for what is
/// accepted and the `#[layout(...)]` attributes.
#[proc_macro_derive(Layout, attributes(layout))]
pub fn derive_layout(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Attributes of a type, field or variant, from `#[layout(...)]` and `#[serde(...)]`.
#[derive(Default)]
struct Attrs {
    rename: Option<String>,
    rename_all: Option<String>,
    rename_all_fields: Option<String>,
    tag: Option<String>,
    content: Option<String>,
    untagged: bool,
    skip: bool,
    flatten: bool,
}

fn lit_str(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.value()),
        _ => None,
    }
}

/// Read `#[layout(...)]` (unknown keys are errors) and `#[serde(...)]` (keys of another
/// meaning are ignored: they do not change what serde writes, or cannot be honoured).
fn attrs(list: &[Attribute]) -> syn::Result<Attrs> {
    let mut out = Attrs::default();
    for attr in list {
        let ours = attr.path().is_ident("layout");
        if !ours && !attr.path().is_ident("serde") {
            continue;
        }
        let metas = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
        for meta in metas {
            let key = meta
                .path()
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            let value = match &meta {
                Meta::NameValue(nv) => lit_str(&nv.value),
                // serde's `rename(serialize = "x")`: the serialized name.
                Meta::List(l) if !ours => {
                    let inner = l.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated);
                    inner.ok().and_then(|inner| {
                        inner.iter().find_map(|m| match m {
                            Meta::NameValue(nv) if nv.path.is_ident("serialize") => {
                                lit_str(&nv.value)
                            }
                            _ => None,
                        })
                    })
                }
                _ => None,
            };
            let is_path = matches!(meta, Meta::Path(_));
            let needs_value = |v: Option<String>| -> syn::Result<String> {
                v.ok_or_else(|| {
                    Error::new(
                        meta.span(),
                        format!("`{key}` expects a string: `{key} = \"...\"`"),
                    )
                })
            };
            match key.as_str() {
                "rename" if ours || value.is_some() => out.rename = Some(needs_value(value)?),
                "rename_all" if ours || value.is_some() => out.rename_all = Some(needs_value(value)?),
                "rename_all_fields" if ours || value.is_some() => out.rename_all_fields = Some(needs_value(value)?),
                "tag" => out.tag = Some(needs_value(value)?),
                "content" => out.content = Some(needs_value(value)?),
                "untagged" if is_path => out.untagged = true,
                "skip" if is_path => out.skip = true,
                "skip_serializing" if is_path && !ours => out.skip = true,
                "flatten" if is_path => out.flatten = true,
                _ if ours => {
                    return Err(Error::new(
                        meta.span(),
                        "unknown layout attribute: expected rename, rename_all, rename_all_fields, \
                         tag, content, untagged, skip or flatten",
                    ));
                }
                _ => {}
            }
        }
    }
    for case in [&out.rename_all, &out.rename_all_fields]
        .into_iter()
        .flatten()
    {
        if !CASES.contains(&case.as_str()) {
            return Err(Error::new(
                Span::call_site(),
                format!("unknown case `{case}`: expected one of {CASES:?}"),
            ));
        }
    }
    Ok(out)
}

const CASES: &[&str] = &[
    "lowercase",
    "UPPERCASE",
    "PascalCase",
    "camelCase",
    "snake_case",
    "SCREAMING_SNAKE_CASE",
    "kebab-case",
    "SCREAMING-KEBAB-CASE",
];

/// Words of a Rust name: a field's `snake_case` parts or a variant's `PascalCase` humps.
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in name.chars() {
        if c == '_' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else if c.is_ascii_uppercase() && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            cur.push(c);
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
        None => String::new(),
    }
}

/// `name` in `case` (serde's `rename_all` cases). A variant's `lowercase`/`UPPERCASE` keep
/// no separators; a field's keep its underscores.
fn apply_case(name: &str, case: &str, is_variant: bool) -> String {
    let w = words(name);
    let lower: Vec<String> = w.iter().map(|x| x.to_ascii_lowercase()).collect();
    match case {
        "lowercase" if is_variant => name.to_ascii_lowercase(),
        "UPPERCASE" if is_variant => name.to_ascii_uppercase(),
        "lowercase" => name.to_ascii_lowercase(),
        "UPPERCASE" => name.to_ascii_uppercase(),
        "PascalCase" => w.iter().map(|x| capitalize(x)).collect(),
        "camelCase" => {
            let p: String = w.iter().map(|x| capitalize(x)).collect();
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
                None => p,
            }
        }
        "snake_case" => lower.join("_"),
        "SCREAMING_SNAKE_CASE" => lower.join("_").to_ascii_uppercase(),
        "kebab-case" => lower.join("-"),
        "SCREAMING-KEBAB-CASE" => lower.join("-").to_ascii_uppercase(),
        _ => name.to_owned(),
    }
}

fn js_name(rust: &str, own: &Attrs, case: Option<&String>, is_variant: bool) -> String {
    if let Some(r) = &own.rename {
        return r.clone();
    }
    match case {
        Some(c) => apply_case(rust, c, is_variant),
        None => rust.to_owned(),
    }
}

/// What `#[repr(...)]` says: `C`, the integer type of the tag, and anything refused.
struct Repr {
    c: bool,
    int: Option<Ident>,
}

fn repr(input: &DeriveInput) -> syn::Result<Repr> {
    let mut r = Repr {
        c: false,
        int: None,
    };
    let mut seen = false;
    for attr in &input.attrs {
        if !attr.path().is_ident("repr") {
            continue;
        }
        seen = true;
        attr.parse_nested_meta(|m| {
            let id = m.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            match id.as_str() {
                "C" => r.c = true,
                "u8" | "u16" | "u32" => r.int = m.path.get_ident().cloned(),
                "align" => {
                    let content;
                    syn::parenthesized!(content in m.input);
                    let _: Lit = content.parse()?;
                }
                "packed" => {
                    return Err(m.error(
                        "#[repr(packed)] is not supported by #[derive(Layout)]: its fields are unaligned, \
                         and JS reads them with aligned typed-array loads",
                    ));
                }
                _ => {
                    return Err(m.error(format!(
                        "#[repr({id})] is not supported by #[derive(Layout)]: use #[repr(C)] for a struct, \
                         #[repr(u8 | u16 | u32)] or #[repr(C, u8 | u16 | u32)] for an enum"
                    )));
                }
            }
            Ok(())
        })?;
    }
    if !seen {
        let what = match input.data {
            Data::Struct(_) => "#[repr(C)]",
            _ => "#[repr(u8)] (or u16, u32; with data also #[repr(C, u8)])",
        };
        return Err(Error::new(
            input.ident.span(),
            format!(
                "#[derive(Layout)] needs a layout Rust guarantees: add {what} (the default \
                 representation may reorder fields between compilations)"
            ),
        ));
    }
    Ok(r)
}

/// The type's lifetimes; any type or const parameter is refused.
fn lifetimes(input: &DeriveInput) -> syn::Result<Vec<Lifetime>> {
    let mut out = Vec::new();
    for p in &input.generics.params {
        match p {
            GenericParam::Lifetime(l) => out.push(l.lifetime.clone()),
            other => {
                return Err(Error::new(
                    other.span(),
                    "#[derive(Layout)] accepts lifetime parameters only: a generated JS reader \
                     has one class per type, not per instantiation",
                ));
            }
        }
    }
    Ok(out)
}

/// One field as the shape lists it.
struct FieldInfo<'a> {
    /// The Rust name ("0", "1" for tuple fields).
    name: String,
    /// The ident to use in a shadow struct and in `offset_of!`.
    member: TokenStream2,
    js: String,
    ty: &'a Type,
    attrs: Attrs,
}

fn field_infos<'a>(fields: &'a Fields, case: Option<&String>) -> syn::Result<Vec<FieldInfo<'a>>> {
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let a = attrs(&f.attrs)?;
        let (name, member) = match &f.ident {
            Some(id) => {
                let s = id.to_string();
                let s = s.strip_prefix("r#").unwrap_or(&s).to_owned();
                (s, quote!(#id))
            }
            None => {
                let idx = syn::Index::from(i);
                (i.to_string(), quote!(#idx))
            }
        };
        if a.flatten && a.skip {
            return Err(Error::new(
                f.span(),
                "a field cannot be both skipped and flattened",
            ));
        }
        let js = js_name(&name, &a, case, false);
        out.push(FieldInfo {
            name,
            member,
            js,
            ty: &f.ty,
            attrs: a,
        });
    }
    Ok(out)
}

/// `Field { ... }` for each field that is not skipped; `offset` gives each one's offset
/// expression.
fn field_list(fields: &[FieldInfo], offset: impl Fn(&FieldInfo) -> TokenStream2) -> TokenStream2 {
    let items = fields.iter().filter(|f| !f.attrs.skip).map(|f| {
        let (name, js, ty, flatten) = (&f.name, &f.js, f.ty, f.attrs.flatten);
        let off = offset(f);
        // The bound is checked here, at the field's type: an unsupported type is an error
        // pointing at this field.
        let shape = quote_spanned!(ty.span()=> <#ty as __l::Layout>::shape);
        quote! {
            __l::Field { name: #name, js_name: #js, offset: #off, shape: #shape, flatten: #flatten }
        }
    });
    quote!(&[#(#items),*])
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let repr = repr(input)?;
    let lts = lifetimes(input)?;
    let own = attrs(&input.attrs)?;
    if own.skip || own.flatten {
        return Err(Error::new(
            input.ident.span(),
            "`skip` and `flatten` are field attributes",
        ));
    }
    let ident = &input.ident;
    let rust_name = ident.to_string();
    let js = own.rename.clone().unwrap_or_else(|| rust_name.clone());
    // `Self` with every lifetime 'static, for checks outside the impl.
    let statics = lts.iter().map(|_| quote!('static));
    let ty_static = if lts.is_empty() {
        quote!(#ident)
    } else {
        quote!(#ident<#(#statics),*>)
    };
    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
    let phantom_ty = if lts.is_empty() {
        quote!(())
    } else {
        quote!(fn() -> (#(&#lts ()),*))
    };
    let hash_fn = quote! {
        fn layout_hash() -> u64 {
            static HASH: ::std::sync::OnceLock<u64> = ::std::sync::OnceLock::new();
            *HASH.get_or_init(|| __l::layout_hash(<Self as __l::Layout>::SHAPE))
        }
    };

    let body = match &input.data {
        Data::Struct(s) => {
            if !repr.c || repr.int.is_some() {
                return Err(Error::new(
                    ident.span(),
                    "#[derive(Layout)] on a struct needs #[repr(C)]",
                ));
            }
            if own.tag.is_some() || own.untagged || own.content.is_some() {
                return Err(Error::new(
                    ident.span(),
                    "`tag`, `content` and `untagged` are enum attributes",
                ));
            }
            if let Fields::Unnamed(_) = s.fields {
                return Err(Error::new(
                    ident.span(),
                    "#[derive(Layout)] supports structs with named fields (or none)",
                ));
            }
            let fields = field_infos(&s.fields, own.rename_all.as_ref())?;
            let list = field_list(&fields, |f| {
                let m = &f.member;
                quote!(::core::mem::offset_of!(Self, #m))
            });
            quote! {
                // SAFETY: size, alignment and offsets are the compiler's (`size_of`,
                // `align_of`, `offset_of!`) for this #[repr(C)] struct.
                unsafe impl #impl_g __l::Layout for #ident #ty_g #where_c {
                    const SHAPE: &'static __l::Shape = &__l::Shape {
                        name: #js,
                        module: ::core::module_path!(),
                        size: ::core::mem::size_of::<Self>(),
                        align: ::core::mem::align_of::<Self>(),
                        kind: __l::Kind::Struct(__l::StructShape { fields: #list }),
                    };
                    #hash_fn
                }
            }
        }
        Data::Enum(e) => {
            let Some(int) = repr.int.clone() else {
                return Err(Error::new(
                    ident.span(),
                    "#[derive(Layout)] on an enum needs its tag type: #[repr(u8)], #[repr(u16)] or #[repr(u32)] \
                     (with data also #[repr(C, u8)] ...)",
                ));
            };
            if e.variants.is_empty() {
                return Err(Error::new(
                    ident.span(),
                    "#[derive(Layout)] needs at least one variant",
                ));
            }
            let tagging = match (&own.tag, &own.content, own.untagged) {
                (None, None, false) => quote!(__l::Tagging::External),
                (Some(t), None, false) => quote!(__l::Tagging::Internal { tag: #t }),
                (Some(t), Some(c), false) => {
                    quote!(__l::Tagging::Adjacent { tag: #t, content: #c })
                }
                (None, None, true) => quote!(__l::Tagging::Untagged),
                _ => {
                    return Err(Error::new(
                        ident.span(),
                        "an enum is either `tag = \"..\"` (with `content = \"..\"` for adjacent tagging) or `untagged`",
                    ));
                }
            };
            let fieldless = e.variants.iter().all(|v| matches!(v.fields, Fields::Unit));
            let tag_bytes: u8 = match int.to_string().as_str() {
                "u8" => 1,
                "u16" => 2,
                _ => 4,
            };
            // Discriminants: a fieldless shadow enum with the same repr and discriminant
            // expressions has the same discriminants (the reference guarantees it for
            // primitive representations).
            let discr_variants = e.variants.iter().map(|v| {
                let vi = &v.ident;
                match &v.discriminant {
                    Some((_, expr)) => quote!(#vi = #expr),
                    None => quote!(#vi),
                }
            });
            let mut shadow = quote! {
                #[repr(#int)]
                #[allow(dead_code, non_camel_case_types, clippy::enum_variant_names)]
                enum __Discriminant { #(#discr_variants),* }
            };
            let phantom_field = if lts.is_empty() {
                quote!()
            } else {
                quote!(__phantom: ::core::marker::PhantomData<#phantom_ty>,)
            };
            let lt_params = if lts.is_empty() {
                quote!()
            } else {
                quote!(<#(#lts),*>)
            };
            let mut variant_items = Vec::new();
            let mut union_fields = Vec::new();
            let mut discriminants = Vec::new();
            for (i, v) in e.variants.iter().enumerate() {
                let va = attrs(&v.attrs)?;
                if va.flatten || va.tag.is_some() || va.untagged {
                    return Err(Error::new(v.span(), "a variant takes `rename` only"));
                }
                if va.skip {
                    return Err(Error::new(
                        v.span(),
                        "variants cannot be skipped: JS may meet any of them",
                    ));
                }
                let vname = v.ident.to_string();
                let vjs = js_name(&vname, &va, own.rename_all.as_ref(), true);
                let fields = field_infos(
                    &v.fields,
                    va.rename_all.as_ref().or(own.rename_all_fields.as_ref()),
                )?;
                let form = match &v.fields {
                    Fields::Unit => quote!(__l::VariantForm::Unit),
                    Fields::Unnamed(u) if u.unnamed.len() == 1 => quote!(__l::VariantForm::Newtype),
                    Fields::Unnamed(_) => quote!(__l::VariantForm::Tuple),
                    Fields::Named(_) => quote!(__l::VariantForm::Struct),
                };
                // RFC 2195: variant `i` is laid out as a #[repr(C)] struct of its fields, after
                // the tag (`#[repr(u8)]`) or in a union after it (`#[repr(C, u8)]`).
                let sname = format_ident!("__Variant{}", i);
                let sfields = fields.iter().map(|f| {
                    let fname = format_ident!("f_{}", f.name);
                    let ty = f.ty;
                    quote!(#fname: #ty,)
                });
                let tag_field = if repr.c {
                    quote!()
                } else {
                    quote!(__tag: #int,)
                };
                shadow.extend(quote! {
                    #[repr(C)]
                    #[allow(dead_code, non_camel_case_types, non_snake_case)]
                    struct #sname #lt_params { #tag_field #(#sfields)* #phantom_field }
                });
                let ufield = format_ident!("v{}", i);
                union_fields.push(quote!(#ufield: ::core::mem::ManuallyDrop<#sname #lt_params>,));
                let list = field_list(&fields, |f| {
                    let fname = format_ident!("f_{}", f.name);
                    if repr.c {
                        quote!(
                            ::core::mem::offset_of!(__Repr #lt_params, payload)
                                + ::core::mem::offset_of!(#sname #lt_params, #fname)
                        )
                    } else {
                        quote!(::core::mem::offset_of!(#sname #lt_params, #fname))
                    }
                });
                let vi = &v.ident;
                discriminants.push(quote!(__Discriminant::#vi as u32));
                variant_items.push(quote! {
                    __l::Variant {
                        name: #vname,
                        js_name: #vjs,
                        discriminant: __Discriminant::#vi as u32,
                        form: #form,
                        fields: #list,
                    }
                });
            }
            if repr.c {
                shadow.extend(quote! {
                    #[repr(C)]
                    #[allow(dead_code, non_snake_case)]
                    union __Payload #lt_params { #(#union_fields)* }
                    #[repr(C)]
                    #[allow(dead_code)]
                    struct __Repr #lt_params { tag: #int, payload: __Payload #lt_params }
                });
            } else {
                shadow.extend(quote! {
                    #[repr(C)]
                    #[allow(dead_code, non_snake_case)]
                    union __Repr #lt_params { #(#union_fields)* __tag: #int, }
                });
            }
            let repr_static = if lts.is_empty() {
                quote!(__Repr)
            } else {
                let s = lts.iter().map(|_| quote!('static));
                quote!(__Repr<#(#s),*>)
            };
            let int_ty = &int;
            quote! {
                #shadow
                // The shadow types have the enum's layout, as RFC 2195 defines it.
                const _: () = {
                    assert!(::core::mem::size_of::<#ty_static>() == ::core::mem::size_of::<#repr_static>());
                    assert!(::core::mem::align_of::<#ty_static>() == ::core::mem::align_of::<#repr_static>());
                };
                // SAFETY: size and alignment are the compiler's; each variant's field offsets
                // are `offset_of!` on its #[repr(C)] shadow struct, which RFC 2195 makes the
                // variant's layout (size and alignment asserted equal above); discriminants are
                // those of a fieldless enum with the same repr and expressions.
                unsafe impl #impl_g __l::Layout for #ident #ty_g #where_c {
                    const SHAPE: &'static __l::Shape = &__l::Shape {
                        name: #js,
                        module: ::core::module_path!(),
                        size: ::core::mem::size_of::<Self>(),
                        align: ::core::mem::align_of::<Self>(),
                        kind: __l::Kind::Enum(__l::EnumShape {
                            tag_bytes: #tag_bytes,
                            variants: &[#(#variant_items),*],
                            tagging: #tagging,
                            fieldless: #fieldless,
                        }),
                    };
                    #hash_fn
                }
                // SAFETY: `None` is read from the compiler's own `None::<Self>` (the tag at
                // offset 0; reading it would not compile if `None` left it uninitialised, i.e.
                // if the niche were elsewhere), the option is asserted to be as big as the
                // enum, and the value is asserted to be no variant's discriminant.
                unsafe impl #impl_g __l::Niche for #ident #ty_g #where_c {
                    const NONE: __l::NoneRepr = __l::NoneRepr::Tag {
                        value: {
                            assert!(
                                ::core::mem::size_of::<::core::option::Option<Self>>() == ::core::mem::size_of::<Self>(),
                                "Option of this enum has no niche in its tag (every tag value is a variant)"
                            );
                            let none: ::core::option::Option<Self> = ::core::option::Option::None;
                            // SAFETY: the option is as big as the enum, whose tag (`#int_ty`) is
                            // at offset 0; `None` writes it (the niche).
                            let tag = unsafe { *(&none as *const ::core::option::Option<Self>).cast::<#int_ty>() } as u32;
                            ::core::mem::forget(none);
                            #( assert!(tag != #discriminants); )*
                            tag
                        },
                    };
                }
            }
        }
        Data::Union(_) => {
            return Err(Error::new(
                ident.span(),
                "#[derive(Layout)] does not support unions",
            ));
        }
    };
    Ok(quote! {
        #[allow(non_local_definitions, clippy::all, clippy::undocumented_unsafe_blocks)]
        const _: () = {
            use ::raw_transfer::layout as __l;
            #body
            // Evaluate the shape now, so a layout fact that fails does at this type.
            const _: &__l::Shape = <#ty_static as __l::Layout>::SHAPE;
        };
    })
}
