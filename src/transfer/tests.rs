//! The README's Rust producer, checked: build pointer-linked data in a block, then read it
//! back the way JS does (low 32 bits of pointers as offsets into the buffer).

use crate::block::tests::SERIAL;
use crate::{FixedSizeAllocatorPool, RAW_METADATA_OFFSET, RAW_METADATA_SIZE, RawTransferMetadata};

#[repr(C)]
struct Item {
    name: *const u8, // JS: u32 at +0 is the offset
    name_len: u32,   // +8
    score: f64,      // +16
}

#[repr(C)]
struct List {
    items: *const Item,
    len: u32,
}

const _: () = assert!(size_of::<Item>() == 24 && std::mem::offset_of!(Item, score) == 16);

fn produce(
    pool: &FixedSizeAllocatorPool,
) -> Result<crate::FixedSizeAllocatorGuard, Box<dyn std::error::Error>> {
    let block = pool.get()?;
    let mut items = allocator_api2::vec::Vec::new_in(&*block);
    for i in 0..1000 {
        let name = block.try_alloc_str(&format!("item {i}"))?;
        items.push(Item {
            name: name.as_ptr(),
            name_len: name.len() as u32,
            score: i as f64 / 2.0,
        });
    }
    let list = block.alloc(List {
        items: items.as_ptr(),
        len: items.len() as u32,
    });
    let data_offset = block.offset_of(list as *const List);
    block
        .write_raw_metadata(RawTransferMetadata {
            data_offset,
            ..Default::default()
        })
        .unwrap();
    drop(items);
    Ok(block)
}

#[test]
fn readme_producer_reads_back_through_offsets() {
    let _serial = SERIAL.lock();
    let pool = FixedSizeAllocatorPool::new(1);
    let block = produce(&pool).unwrap();
    // What JS sees: a prefix of the block, the record first.
    // SAFETY: the block is owned by `block` and the range read is committed (metadata page
    // and the arena's used prefix).
    let buf = unsafe { std::slice::from_raw_parts(block.base_ptr().as_ptr(), block.used_bytes()) };
    let u32_at = |pos: usize| u32::from_le_bytes(buf[pos..pos + 4].try_into().unwrap());
    // SAFETY: the record is the block's first bytes, committed when it was written.
    let meta = unsafe {
        std::slice::from_raw_parts(
            block.base_ptr().as_ptr().add(RAW_METADATA_OFFSET),
            RAW_METADATA_SIZE,
        )
    };
    let root = u32::from_le_bytes(meta[0..4].try_into().unwrap()) as usize;
    assert_eq!(
        u32::from_le_bytes(meta[4..8].try_into().unwrap()),
        block.generation()
    );
    let (items, len) = (u32_at(root) as usize, u32_at(root + 8) as usize);
    assert_eq!(len, 1000);
    for i in [0usize, 1, 999] {
        let item = items + i * 24;
        let (name, name_len) = (u32_at(item) as usize, u32_at(item + 8) as usize);
        assert_eq!(
            std::str::from_utf8(&buf[name..name + name_len]).unwrap(),
            format!("item {i}")
        );
        let score = f64::from_le_bytes(buf[item + 16..item + 24].try_into().unwrap());
        assert_eq!(score, i as f64 / 2.0);
    }
}
