// Package classifier decides whether a news item is a quality announcement
// (质量强市 campaigns, 质量月, quality awards, sampling results, recalls,
// standards, metrology, certification, testing bodies, enforcement against
// 假冒伪劣, quality brand programmes) and explains why. It is a pure,
// deterministic function of its input: no I/O beyond its embedded data, no
// logging, no clock.
//
// A verdict is reached in five steps.
//
//  1. Normalise. Title and text go through Normalize: HTML stripped, NFKC
//     (full-width folded), ASCII lower case, inline pinyin annotations such
//     as 質(zhì)量 removed, traditional characters mapped to simplified ones
//     with a character table generated from OpenCC (data/t2s.txt), white
//     space collapsed. While normalising the text, the ends of lines and
//     sentences are recorded: they cut the body into segments.
//
//  2. Scan once. Title and body, a line apart, are scanned with one
//     leftmost-longest Aho-Corasick automaton holding the vocabulary's
//     terms, its context terms, the gazetteer's place names and a few
//     boilerplate marks. Leftmost-longest matters: the context term
//     高质量发展 consumes its span, so the 质量 inside it never counts.
//     A context term also vetoes, for the whole item, the terms it
//     contains: an item that says 召回国家队 uses 召回 in its sporting
//     sense, one that says 高质量发展 uses a bare 质量 as rhetoric. A place
//     name that holds a term counts as that term too (国家质检总局 is the
//     质检总局, 省市场监管局 a 市场监管局).
//
//  3. Clean the body. A segment is dropped when it is site boilerplate
//     (copyright, 责任编辑, navigation, a list of related links ending in a
//     date), when it repeats an earlier segment (a page that prints its
//     article twice), or when it follows a "related news" heading. Only
//     matches in kept segments count.
//
//  4. Score. Each matched term adds its weight times 3 if it is in the title
//     (4.5 when nothing of the body is kept: a list page's entry or a feed
//     item without text has only its title, and one strong term there, such
//     as 抽检, 召回 or 团体标准, is enough), plus (1 + ln n) times a body
//     factor for its n occurrences in the body. The body factor is min(1, sqrt(3600 bytes / body length)) times
//     min(1, 0.4 + 1.5 × the share of segments holding a categorised term)
//     (from 4 segments on): a long economy report that names 抽检 and
//     质量强市 once each does not add up to an announcement. The score is
//     1 - exp(-evidence × ln 2 / 16), so 0.5 means 16 units of evidence. An
//     item matches when its score reaches the threshold (default 0.5) and
//     at least 6 units come from terms of a real category (terms of the
//     category "general", such as 质量 or 市场监管局, support but never
//     decide).
//
//  5. Explain. Categories are those holding at least a quarter of the top
//     category's evidence; regions come from the gazetteer (the 16 Shandong
//     cities with their counties and districts, the province, national
//     bodies, other provinces), weighted the same way, reduced to the
//     prominent ones, "other" when none; terms are listed with their counts,
//     strongest first.
//
// The vocabulary (data/vocabulary.yaml) can be replaced or extended by a
// user file (ParseVocabulary, LoadVocabulary, Vocabulary.Extend), and
// Suggest proposes new terms from a user's own examples. The vocabulary
// names its categories in Chinese and English (Vocabulary.CategoryName);
// package region holds the regions, their names and the gazetteer.
//
// The tables (the character table, the gazetteer, the default vocabulary
// and its automaton) are built on first use, not when the package is
// loaded: a command that never classifies does not pay for them.
package classifier
