//! Patient search as the front desk searches: any part of a name (typo-tolerant), a date of birth,
//! a phone number, an MRN or a member id, in any order.
//!
//! Search works on *tokens*: each patient is indexed under short strings with a kind prefix
//! (`n:` name word, `s:` phonetic key of a name word, `p:` phone digits, `d:` birth date, `m:` MRN,
//! `i:` member id). A query is split into words; each word becomes a set of alternatives (prefixes
//! or exact tokens), and a patient matches when every word matches one of its tokens. The store
//! answers this with B-tree range scans that are the same on SQLite and PostgreSQL.

use chrono::NaiveDate;

/// Lowercase ASCII letters and digits only, with common accents folded (`José` -> `jose`).
pub fn normalize(text: &str) -> String {
    text.chars().filter_map(fold_char).collect()
}

fn fold_char(c: char) -> Option<char> {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let folded = match lower {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'ç' | 'č' | 'ć' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ñ' | 'ń' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' | 'ś' => 's',
        'ž' | 'ź' | 'ż' => 'z',
        'ł' => 'l',
        'ß' => 's',
        other => other,
    };
    folded.is_ascii_alphanumeric().then_some(folded)
}

/// The words of a name: split at spaces and hyphens; apostrophes and periods vanish (`O'Brien` is `obrien`).
pub fn name_words(name: &str) -> Vec<String> {
    name.split(|c: char| c.is_whitespace() || c == '-').map(normalize).filter(|w| !w.is_empty()).collect()
}

/// A Soundex-like key in which the first letter is coded too, so `Catherine` and `Katherine`,
/// `Smith` and `Schmidt`, `Jonson` and `Johnson` share a key. Four characters.
pub fn phonetic_key(word: &str) -> String {
    let letters: Vec<char> = normalize(word).chars().filter(|c| c.is_ascii_alphabetic()).collect();
    let code = |c: char| match c {
        'b' | 'f' | 'p' | 'v' => '1',
        'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => '2',
        'd' | 't' => '3',
        'l' => '4',
        'm' | 'n' => '5',
        'r' => '6',
        'h' | 'w' => '-', // transparent: does not separate equal codes
        _ => '0',         // vowels and y: separate equal codes
    };
    let mut key = String::new();
    let mut last = ' ';
    for (i, c) in letters.iter().enumerate() {
        let k = code(*c);
        if i == 0 {
            key.push(if k == '-' { '0' } else { k });
            last = k;
            continue;
        }
        match k {
            '-' => {}
            '0' => last = '0',
            digit => {
                if digit != last {
                    key.push(digit);
                }
                last = digit;
            }
        }
        if key.len() == 4 {
            break;
        }
    }
    while !key.is_empty() && key.len() < 4 {
        key.push('0');
    }
    key
}

/// What a patient is indexed by.
#[derive(Debug, Clone, Default)]
pub struct Indexable<'a> {
    pub names: Vec<&'a str>,
    pub birth_date: Option<NaiveDate>,
    pub phones: Vec<&'a str>,
    pub mrn: &'a str,
    pub member_ids: Vec<&'a str>,
    /// (family name, given name) pairs, indexed together so "family given" searches are one scan.
    pub name_pairs: Vec<(&'a str, &'a str)>,
}

/// The search tokens of one patient, sorted and without repeats.
pub fn index_tokens(p: &Indexable<'_>) -> Vec<String> {
    let mut tokens = Vec::new();
    for name in &p.names {
        let words = name_words(name);
        if words.len() > 1 {
            tokens.push(format!("n:{}", words.concat()));
        }
        for w in words {
            if w.len() >= 2 {
                tokens.push(format!("s:{}", phonetic_key(&w)));
            }
            tokens.push(format!("n:{w}"));
        }
    }
    if let Some(date) = p.birth_date {
        tokens.push(format!("d:{}", date.format("%Y%m%d")));
    }
    for phone in &p.phones {
        let digits: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
        if digits.len() == 10 {
            tokens.push(format!("p:{}", &digits[3..]));
        }
        tokens.push(format!("p:{digits}"));
    }
    if !p.mrn.is_empty() {
        tokens.push(format!("m:{}", p.mrn));
    }
    for id in &p.member_ids {
        tokens.push(format!("i:{}", normalize(id)));
    }
    for (family, given) in &p.name_pairs {
        for f in name_words(family) {
            for g in name_words(given) {
                tokens.push(format!("c:{f}|{g}"));
            }
        }
    }
    tokens.sort();
    tokens.dedup();
    tokens
}

/// One word of a query and the tokens that satisfy it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordMatch {
    /// The word as typed, for ranking and messages.
    pub word: String,
    /// Tokens that match when they start with one of these.
    pub prefixes: Vec<String>,
    /// Tokens that match when equal to one of these.
    pub exacts: Vec<String>,
}

/// The most words of a query we look at; more is not a search, it is a paste.
pub const MAX_QUERY_WORDS: usize = 6;

/// Splits a query into words and says which tokens each word matches. Empty for a blank query.
pub fn parse_query(query: &str) -> Vec<WordMatch> {
    query.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).take(MAX_QUERY_WORDS).filter_map(word_match).collect()
}

fn word_match(raw: &str) -> Option<WordMatch> {
    let mut m = WordMatch { word: raw.to_string(), prefixes: Vec::new(), exacts: Vec::new() };
    if let Some(date) = typed_date(raw) {
        m.exacts.push(format!("d:{}", date.format("%Y%m%d")));
    }
    let mostly_digits = raw.chars().all(|c| c.is_ascii_digit() || "()-./+".contains(c)) && raw.chars().any(|c| c.is_ascii_digit());
    if mostly_digits {
        let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
        let digits = if digits.len() == 11 && digits.starts_with('1') { digits[1..].to_string() } else { digits };
        if digits.len() >= 3 {
            m.prefixes.push(format!("p:{digits}"));
            m.prefixes.push(format!("m:{digits}"));
            m.prefixes.push(format!("i:{digits}"));
        }
    } else {
        let word = normalize(raw);
        if word.is_empty() {
            return None;
        }
        if word.chars().any(|c| c.is_ascii_digit()) {
            m.prefixes.push(format!("i:{word}"));
        } else {
            m.prefixes.push(format!("n:{word}"));
            if word.len() >= 3 {
                m.exacts.push(format!("s:{}", phonetic_key(&word)));
            }
            if word.len() >= 4 {
                m.prefixes.push(format!("i:{word}"));
            }
        }
    }
    (!m.prefixes.is_empty() || !m.exacts.is_empty()).then_some(m)
}

/// A birth date typed as `1985-03-14`, `3/14/1985` or `03141985`.
fn typed_date(raw: &str) -> Option<NaiveDate> {
    let formats = ["%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m%d%Y"];
    if raw.len() < 8 {
        return None;
    }
    formats.iter().find_map(|f| NaiveDate::parse_from_str(raw, f).ok())
}

/// For a query of exactly two name words, the prefixes of the pair tokens (`c:family|given`) that
/// answer it in one scan when one word is a whole family name and the other the start of a given
/// name, in either order ("johnson mar", "mar johnson"). Empty for other queries.
pub fn pair_prefixes(words: &[WordMatch]) -> Vec<String> {
    let letters = |w: &WordMatch| {
        let n = normalize(&w.word);
        (!n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase())).then_some(n)
    };
    match words {
        [a, b] => match (letters(a), letters(b)) {
            (Some(a), Some(b)) => vec![format!("c:{a}|{b}"), format!("c:{b}|{a}")],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The smallest string greater than every string that starts with `prefix`; for range scans
/// `token >= prefix AND token < upper_bound(prefix)`. Tokens are ASCII, so `~` past `z` works.
pub fn upper_bound(prefix: &str) -> String {
    format!("{prefix}~")
}

/// How well a patient's tokens answer each word: 3 exactly, 2 by prefix, 1 by sound only,
/// 0 not at all.
pub fn word_scores(words: &[WordMatch], tokens: &[String]) -> Vec<u32> {
    words
        .iter()
        .map(|w| {
            let exact = w.prefixes.iter().any(|p| tokens.iter().any(|t| t == p))
                || w.exacts.iter().any(|e| !e.starts_with("s:") && tokens.contains(e));
            let prefix = w.prefixes.iter().any(|p| tokens.iter().any(|t| t.starts_with(p.as_str())));
            let sound = w.exacts.iter().any(|e| tokens.contains(e));
            if exact {
                3
            } else if prefix {
                2
            } else if sound {
                1
            } else {
                0
            }
        })
        .collect()
}

/// The sum of [`word_scores`]: higher is better; used to order the candidates the store found.
pub fn rank(words: &[WordMatch], tokens: &[String]) -> u32 {
    word_scores(words, tokens).iter().sum()
}

/// Whether every word matched by spelling (exactly or as a prefix), not only by sound. When some
/// candidates match by spelling, the ones that match only by sound are noise and are dropped.
pub fn spelled_match(words: &[WordMatch], tokens: &[String]) -> bool {
    word_scores(words, tokens).iter().all(|s| *s >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens_of(name: &str, given: &str) -> Vec<String> {
        index_tokens(&Indexable { names: vec![name, given], ..Default::default() })
    }

    fn matches(words: &[WordMatch], tokens: &[String]) -> bool {
        words.iter().all(|w| {
            w.exacts.iter().any(|e| tokens.contains(e)) || w.prefixes.iter().any(|p| tokens.iter().any(|t| t.starts_with(p.as_str())))
        })
    }

    #[test]
    fn accents_and_punctuation_are_folded() {
        assert_eq!(normalize("José"), "jose");
        assert_eq!(name_words("O'Brien-Núñez"), vec!["obrien", "nunez"]);
    }

    #[test]
    fn names_that_sound_alike_share_a_phonetic_key() {
        assert_eq!(phonetic_key("Johnson"), phonetic_key("Jonson"));
        assert_eq!(phonetic_key("Smith"), phonetic_key("Smyth"));
        assert_eq!(phonetic_key("Catherine"), phonetic_key("Katherine"));
        assert_eq!(phonetic_key("Schmidt"), phonetic_key("Smith"));
        assert_ne!(phonetic_key("Smith"), phonetic_key("Jones"));
        assert_eq!(phonetic_key("Lee").len(), 4);
    }

    #[test]
    fn a_partial_name_finds_the_patient() {
        let tokens = tokens_of("Johnson", "Margaret");
        assert!(matches(&parse_query("john"), &tokens));
        assert!(matches(&parse_query("marg john"), &tokens));
        assert!(matches(&parse_query("Johnson, Margaret"), &tokens));
        assert!(!matches(&parse_query("peter"), &tokens));
    }

    #[test]
    fn a_misspelt_name_still_finds_the_patient() {
        let tokens = tokens_of("Johnson", "Katherine");
        assert!(matches(&parse_query("jonson catherine"), &tokens));
    }

    #[test]
    fn phone_birth_date_mrn_and_member_id_find_the_patient() {
        let date = NaiveDate::from_ymd_opt(1985, 3, 14);
        let tokens = index_tokens(&Indexable {
            names: vec!["Doe", "Jane"],
            birth_date: date,
            phones: vec!["5552013344"],
            mrn: "00000420",
            member_ids: vec!["XZB-99812"],
            ..Default::default()
        });
        for q in ["(555) 201-3344", "201-3344", "555201", "3/14/1985", "1985-03-14", "03141985", "0000042", "xzb998", "doe 3/14/1985"] {
            assert!(matches(&parse_query(q), &tokens), "query {q} should match");
        }
        assert!(!matches(&parse_query("3/15/1985"), &tokens));
        assert!(!matches(&parse_query("555999"), &tokens));
    }

    #[test]
    fn a_family_and_given_name_pair_is_one_token_scan() {
        let tokens = index_tokens(&Indexable {
            names: vec!["Garcia-Lopez", "Maria"],
            name_pairs: vec![("Garcia-Lopez", "Maria")],
            ..Default::default()
        });
        assert!(tokens.contains(&"c:garcia|maria".to_string()));
        assert!(tokens.contains(&"c:lopez|maria".to_string()));
        let prefixes = pair_prefixes(&parse_query("lopez mar"));
        assert!(prefixes.iter().any(|p| tokens.iter().any(|t| t.starts_with(p.as_str()))));
        let reversed = pair_prefixes(&parse_query("mar lopez"));
        assert!(reversed.iter().any(|p| tokens.iter().any(|t| t.starts_with(p.as_str()))));
        assert!(pair_prefixes(&parse_query("lopez")).is_empty());
        assert!(pair_prefixes(&parse_query("lopez 1985-03-14")).is_empty());
    }

    #[test]
    fn impossible_dates_in_a_query_are_not_dates() {
        assert!(typed_date("02/30/1985").is_none());
        assert_eq!(parse_query("").len(), 0);
        assert_eq!(parse_query(" , ").len(), 0);
    }

    #[test]
    fn exact_matches_rank_above_prefixes_and_sounds() {
        let words = parse_query("smith");
        let exact = tokens_of("Smith", "Ann");
        let prefix = tokens_of("Smithers", "Ann");
        let sound = tokens_of("Smyth", "Ann");
        assert!(rank(&words, &exact) > rank(&words, &prefix));
        assert!(rank(&words, &prefix) > rank(&words, &sound));
        assert!(rank(&words, &sound) > 0);
        assert!(spelled_match(&words, &prefix));
        assert!(!spelled_match(&words, &sound));
    }

    #[test]
    fn long_queries_are_cut_to_a_bounded_number_of_words() {
        let q = "a b c d e f g h i j";
        assert_eq!(parse_query(q).len(), MAX_QUERY_WORDS);
    }
}
