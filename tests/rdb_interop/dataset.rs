//! The data the RDB interop tests build: every type in every encoding Redis
//! 7.0 has, as command lines per database (see `dataset`).

/// Every database the generator writes to.
pub const DBS: [u32; 3] = [0, 3, 15];

/// Far-future absolute expiry (2100-01-01T00:00:00Z) in ms, and another in s.
pub const FAR_MS: i64 = 4_102_444_800_000;
pub const FAR_S: i64 = 4_102_444_900;

pub type Cmd = Vec<Vec<u8>>;

pub fn cmd(parts: &[&[u8]]) -> Cmd {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// A command from space-separated words (none empty or containing a space).
pub fn words(line: &str) -> Cmd {
    line.split(' ').map(|p| p.as_bytes().to_vec()).collect()
}

pub fn strs(parts: &[&str]) -> Cmd {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// A deterministic byte stream (xorshift), for incompressible values.
pub fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// The commands that build the test data, per database (see the module doc).
/// Expiry times are absolute so two servers fed these hold identical data.
pub fn dataset() -> Vec<(u32, Vec<Cmd>)> {
    let mut db0: Vec<Cmd> = Vec::new();
    let c = &mut db0;
    // Strings.
    c.push(strs(&["SET", "s:int", "12345"]));
    c.push(strs(&["SET", "s:zero", "0"]));
    c.push(strs(&["SET", "s:neg", "-42"]));
    c.push(strs(&["SET", "s:max", "9223372036854775807"]));
    c.push(strs(&["SET", "s:min", "-9223372036854775808"]));
    c.push(strs(&["SET", "s:over", "9223372036854775808"]));
    c.push(strs(&["SET", "s:lead0", "007"]));
    c.push(strs(&["SET", "s:plus", "+1"]));
    c.push(strs(&["SET", "s:negzero", "-0"]));
    c.push(strs(&["SET", "s:float", "1.5"]));
    c.push(strs(&["SET", "s:int8", "127"]));
    c.push(strs(&["SET", "s:int16", "-32768"]));
    c.push(strs(&["SET", "s:int32", "2147483647"]));
    c.push(strs(&["SET", "s:int33", "2147483648"]));
    c.push(strs(&["SET", "s:embstr", "hello"]));
    c.push(strs(&["SET", "s:empty", ""]));
    c.push(cmd(&[b"SET", b"s:embstr44", &[b'e'; 44]]));
    c.push(cmd(&[b"SET", b"s:raw45", &[b'r'; 45]]));
    c.push(cmd(&[b"SET", b"s:rep20", &[b'a'; 20]]));
    c.push(cmd(&[b"SET", b"s:rep21", &[b'a'; 21]]));
    c.push(cmd(&[b"SET", b"s:compressible", &[b'a'; 100]]));
    c.push(cmd(&[b"SET", b"s:noise21", &noise(1, 21)]));
    c.push(cmd(&[b"SET", b"s:noise", &noise(2, 300)]));
    let binary: Vec<u8> = (0..=255u8).collect();
    c.push(cmd(&[b"SET", b"s:binary", &binary]));
    c.push(cmd(&[b"SET", b"s:big", &b"0123456789abcdef".repeat(8192)]));
    c.push(strs(&["SET", "s:append", "short"]));
    c.push(strs(&["APPEND", "s:append", "+tail"]));
    c.push(strs(&["SET", "s:setrange", "abc"]));
    c.push(words("SETRANGE s:setrange 10 x"));
    c.push(strs(&["SET", "s:incr", "41"]));
    c.push(strs(&["INCR", "s:incr"]));
    c.push(strs(&["SET", "s:incrbyfloat", "1"]));
    c.push(strs(&["INCRBYFLOAT", "s:incrbyfloat", "0.25"]));
    c.push(cmd(&[b"SET", b"", b"empty key"]));
    c.push(cmd(&[b"SET", &[b'k'; 600], b"600-byte key"]));
    c.push(cmd(&[b"SET", b"bin\x00key\xff\r\n", b"binary key"]));
    // Lists.
    c.push(words("RPUSH l:small a b c 1 -2 300000"));
    let mut a = words(
        "RPUSH l:ints 0 -1 127 -129 32767 -8388608 2147483647 -2147483649 \
         9223372036854775807 -9223372036854775808 9223372036854775808 012",
    );
    a.push(Vec::new());
    c.push(a);
    for b in 0..10 {
        let mut a = strs(&["RPUSH", "l:10k"]);
        for i in 0..1000 {
            a.push(format!("element-{}", b * 1000 + i).into_bytes());
        }
        c.push(a);
    }
    let mut a = strs(&["RPUSH", "l:long"]);
    for i in 0..40 {
        a.push(format!("{i:03}-{}", "x".repeat(97)).into_bytes());
    }
    c.push(a);
    c.push(words("LPUSH l:huge before after"));
    c.push(cmd(&[
        b"LINSERT",
        b"l:huge",
        b"BEFORE",
        b"before",
        &[b'h'; 10_000],
    ]));
    c.push(cmd(&[b"RPUSH", b"l:huge", &noise(3, 9000)]));
    let mut a = strs(&["RPUSH", "l:binary"]);
    a.push(binary.clone());
    a.push(noise(4, 70));
    c.push(a);
    // A list built from both ends and edited in the middle (node boundaries
    // that depend on history, not just on the final content).
    for i in 0..300 {
        c.push(strs(&[
            "LPUSH",
            "l:edited",
            &format!("left-{i}-{}", "y".repeat(i % 50)),
        ]));
        c.push(strs(&["RPUSH", "l:edited", &format!("right-{i}")]));
    }
    c.push(words("LREM l:edited 0 right-7"));
    c.push(words("LSET l:edited 100 changed"));
    // Hashes.
    c.push(strs(&[
        "HSET",
        "h:small",
        "f1",
        "v1",
        "f2",
        "2",
        "f3",
        "-3",
        "num",
        "12345678901",
        "e",
        "",
    ]));
    let mut a = strs(&["HSET", "h:many"]);
    for i in 0..600 {
        a.push(format!("field:{i}").into_bytes());
        a.push(format!("{i}").into_bytes());
    }
    c.push(a);
    c.push(words("HSET h:longval a 1 b 2"));
    c.push(cmd(&[b"HSET", b"h:longval", b"long", &[b'v'; 65]]));
    c.push(cmd(&[b"HSET", b"h:longfield", &[b'f'; 65], b"v"]));
    let mut a = strs(&["HSET", "h:shrunk"]);
    for i in 0..600 {
        a.push(format!("f{i}").into_bytes());
        a.push(format!("v{i}").into_bytes());
    }
    c.push(a);
    let mut a = strs(&["HDEL", "h:shrunk"]);
    for i in 3..600 {
        a.push(format!("f{i}").into_bytes());
    }
    c.push(a);
    c.push(cmd(&[b"HSET", b"h:binary", b"\x00\xff", &binary]));
    // Sets.
    c.push(words("SADD set:int16 1 2 3 -5 100"));
    c.push(words("SADD set:int32 1 70000 -70000"));
    c.push(words(
        "SADD set:int64 1 9223372036854775807 -9223372036854775808",
    ));
    c.push(words("SADD set:str a b c 1"));
    let mut a = strs(&["SADD", "set:manyints"]);
    for i in 0..600 {
        a.push(format!("{}", i * 7 - 1000).into_bytes());
    }
    c.push(a);
    c.push(words("SADD set:shrunk 1 2 3 x"));
    c.push(strs(&["SREM", "set:shrunk", "x"]));
    c.push(words("SADD set:notint 1 01 2"));
    let mut a = strs(&["SADD", "set:big"]);
    for i in 0..2000 {
        a.push(format!("member-{i}").into_bytes());
    }
    c.push(a);
    // Sorted sets.
    c.push(words("ZADD z:small inf pinf -inf ninf -0 negzero 0 zero 0.1 tenth 1e300 huge 1 tie-a 1 tie-c 1 tie-b -2.5 neg 3 three 1e-300 tiny 123456789012 bigint"));
    let mut a = strs(&["ZADD", "z:skiplist"]);
    for i in 0..200 {
        a.push(format!("{}", (i % 17) as f64 * 0.5 - 3.0).into_bytes());
        a.push(format!("m{i}").into_bytes());
    }
    for (s, m) in [
        ("inf", "pinf"),
        ("-inf", "ninf"),
        ("-0", "negzero"),
        ("0.1", "tenth"),
        ("1e300", "huge"),
    ] {
        a.push(s.as_bytes().to_vec());
        a.push(m.as_bytes().to_vec());
    }
    c.push(a);
    c.push(words("ZADD z:longmember 1 a 2 b"));
    c.push(cmd(&[b"ZADD", b"z:longmember", b"3", &[b'm'; 65]]));
    let mut a = strs(&["ZADD", "z:shrunk"]);
    for i in 0..200 {
        a.push(format!("{i}").into_bytes());
        a.push(format!("m{i}").into_bytes());
    }
    c.push(a);
    c.push(words("ZREMRANGEBYRANK z:shrunk 3 -1"));
    c.push(words("ZADD z:incr 1 a"));
    c.push(words("ZINCRBY z:incr 0.1 a"));
    c.push(cmd(&[b"ZADD", b"z:binary", b"5", &binary]));
    // TTLs (absolute, so any two servers hold the same times).
    c.push(strs(&[
        "SET",
        "ttl:string",
        "v",
        "PXAT",
        &FAR_MS.to_string(),
    ]));
    c.push(strs(&["SET", "ttl:int", "7", "EXAT", &FAR_S.to_string()]));
    c.push(words("RPUSH ttl:list a b"));
    c.push(strs(&["PEXPIREAT", "ttl:list", &(FAR_MS + 1).to_string()]));
    c.push(words("HSET ttl:hash f v"));
    c.push(strs(&["EXPIREAT", "ttl:hash", &FAR_S.to_string()]));
    c.push(words("SADD ttl:set 1 2"));
    c.push(strs(&["PEXPIREAT", "ttl:set", "253402300799999"]));
    c.push(words("ZADD ttl:zset 1 a"));
    c.push(strs(&[
        "PEXPIREAT",
        "ttl:zset",
        &(FAR_MS + 999).to_string(),
    ]));
    c.push(strs(&[
        "SET",
        "ttl:persisted",
        "v",
        "PXAT",
        &FAR_MS.to_string(),
    ]));
    c.push(strs(&["PERSIST", "ttl:persisted"]));

    let mut db3: Vec<Cmd> = vec![
        strs(&["SET", "s:int", "3"]),
        strs(&["SET", "only-in-3", "three"]),
        words("RPUSH l:small x y"),
        words("HSET h:small f v"),
        strs(&["SADD", "set:int16", "3"]),
        words("ZADD z:small 3 three"),
        strs(&["SET", "ttl:string", "db3", "PXAT", &FAR_MS.to_string()]),
    ];
    let mut a = strs(&["HSET", "h:many"]);
    for i in 0..300 {
        a.push(format!("f{i}").into_bytes());
        a.push("w".repeat(i % 70).into_bytes());
    }
    db3.push(a);
    let db15: Vec<Cmd> = vec![
        strs(&["SET", "s:int", "15"]),
        cmd(&[b"SET", b"", b"empty key in 15"]),
        strs(&["RPUSH", "l:small", "fifteen"]),
        words("ZADD z:small -inf a inf b"),
    ];
    vec![(0, db0), (3, db3), (15, db15)]
}

/// Every command of the dataset.
pub fn all(_: &Cmd) -> bool {
    true
}

/// The string keys of the dataset (with their TTLs).
pub fn strings_only(a: &Cmd) -> bool {
    let name = String::from_utf8_lossy(&a[0]).to_ascii_uppercase();
    matches!(
        name.as_str(),
        "SET" | "APPEND" | "SETRANGE" | "INCR" | "INCRBYFLOAT"
    )
}
