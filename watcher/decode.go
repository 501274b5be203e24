package watcher

import (
	"bytes"
	"errors"
	"mime"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

var (
	headerCharsetRe = regexp.MustCompile(`(?i)charset\s*=\s*["']?([^"';\s]+)`)
	prologRe        = regexp.MustCompile(`^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']`)
	prologEncRe     = regexp.MustCompile(`^(\s*<\?xml[^>]*?\b)encoding\s*=\s*(?:"[^"]*"|'[^']*')`)
	metaCharsetRe   = regexp.MustCompile(`(?i)<meta\b[^>]*?charset\s*=\s*["']?\s*([-\w.:]+)`)
)

// DecodeUTF8 converts a feed body to UTF-8 and reports the charset it was
// read as ("utf-8", "gb18030", "big5", ...).
//
// The charset is taken, in order, from a byte order mark, the charset
// parameter of contentType, the XML declaration's encoding attribute and an
// HTML <meta charset>. Labels are checked rather than trusted: GB2312 and GBK
// are always read as their superset GB18030; a body that is valid UTF-8 with
// non-ASCII text is UTF-8 whatever its label says; and a label whose decoding
// yields invalid sequences, or text far less plausible as Chinese than another
// candidate's, loses to that candidate. Without any usable label the body is
// detected: valid UTF-8 is UTF-8, otherwise GB18030 and Big5 are both tried
// and scored by how many very common Chinese characters they produce against
// how many invalid sequences.
//
// The XML declaration in the returned text says encoding="UTF-8", so an XML
// parser does not decode it a second time. The only error is an empty body.
func DecodeUTF8(body []byte, contentType string) (text []byte, charset string, err error) {
	if len(body) == 0 {
		return nil, "", errors.New("decode: empty body")
	}
	if c, ok := decodeBOM(body); ok {
		return fixProlog(c.text), c.name, nil
	}
	c := chooseCharset(body, declaredCharsets(body, contentType))
	return fixProlog(c.text), c.name, nil
}

// charsetLabel is a resolved charset: its canonical name and the decoder for
// it (nil for UTF-8).
type charsetLabel struct {
	name string
	enc  encoding.Encoding
}

// The charsets that matter most here, with the names DecodeUTF8 reports.
var (
	labelUTF8    = charsetLabel{name: "utf-8"}
	labelGB18030 = charsetLabel{name: "gb18030", enc: simplifiedchinese.GB18030}
	labelBig5    = charsetLabel{name: "big5", enc: traditionalchinese.Big5}
)

// chooseCharset picks the decoding of body, given the declared labels in
// order of precedence.
func chooseCharset(body []byte, declared []charsetLabel) candidate {
	// Valid UTF-8 that nothing contradicts is taken as it is, without
	// scoring it: no label, a UTF-8 label, or non-ASCII bytes under another
	// label (a misconfigured server or template: legacy CJK bytes are
	// practically never valid UTF-8 by accident).
	if utf8.Valid(body) && (len(declared) == 0 || declared[0].name == labelUTF8.name || hasNonASCII(body)) {
		return candidate{name: labelUTF8.name, text: body}
	}
	if len(declared) == 0 {
		return best([]candidate{decodeAs(body, labelGB18030), decodeAs(body, labelBig5), decodeAs(body, labelUTF8)})
	}
	first := decodeAs(body, declared[0])
	if first.invalid == 0 {
		return preferChinese(body, first)
	}
	// The first label produced invalid sequences: weigh every candidate,
	// declared ones first so they win ties.
	cands := []candidate{first}
	for _, l := range slices.Concat(declared[1:], []charsetLabel{labelGB18030, labelBig5, labelUTF8}) {
		cands = append(cands, decodeAs(body, l))
	}
	return best(cands)
}

// preferChinese returns c unless GB18030 or Big5 decodes body (almost)
// cleanly into text far more plausibly Chinese than c: a Big5 feed labelled
// gb2312, or GBK labelled iso-8859-1.
func preferChinese(body []byte, c candidate) candidate {
	if c.name == labelUTF8.name || !hasNonASCII(body) {
		return c
	}
	for _, l := range []charsetLabel{labelGB18030, labelBig5} {
		if l.name == c.name {
			continue
		}
		alt := decodeAs(body, l)
		if alt.invalid <= alt.common/50 && alt.common >= 8 && alt.score() > 2*c.score()+8 {
			return alt
		}
	}
	return c
}

// best returns the highest-scoring candidate, the earliest on ties.
func best(cands []candidate) candidate {
	b := cands[0]
	for _, c := range cands[1:] {
		if c.score() > b.score() {
			b = c
		}
	}
	return b
}

// decodeBOM decodes a body that starts with a byte order mark, or with
// "<?xml" in UTF-16 without one.
func decodeBOM(body []byte) (candidate, bool) {
	le := charsetLabel{name: "utf-16le", enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)}
	be := charsetLabel{name: "utf-16be", enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}
	for _, m := range []struct {
		prefix string
		label  charsetLabel
		skip   int
	}{
		{"\xEF\xBB\xBF", labelUTF8, 3}, {"\xFF\xFE", le, 2}, {"\xFE\xFF", be, 2},
		{"<\x00?\x00", le, 0}, {"\x00<\x00?", be, 0},
	} {
		if bytes.HasPrefix(body, []byte(m.prefix)) {
			return decodeAs(body[m.skip:], m.label), true
		}
	}
	return candidate{}, false
}

// declaredCharsets returns the usable charset labels of body in order of
// precedence (HTTP header, XML declaration, HTML meta), without repeats.
// UTF-16 labels are ignored: real UTF-16 was recognised by decodeBOM, and a
// label readable as ASCII is wrong.
func declaredCharsets(body []byte, contentType string) []charsetLabel {
	head := body[:min(len(body), 4096)]
	raw := []string{headerCharset(contentType)}
	if m := prologRe.FindSubmatch(head[:min(len(head), 1024)]); m != nil {
		raw = append(raw, string(m[1]))
	}
	if m := metaCharsetRe.FindSubmatch(head); m != nil {
		raw = append(raw, string(m[1]))
	}
	var out []charsetLabel
	for _, r := range raw {
		l, ok := lookupCharset(r)
		if ok && !strings.HasPrefix(l.name, "utf-16") &&
			!slices.ContainsFunc(out, func(o charsetLabel) bool { return o.name == l.name }) {
			out = append(out, l)
		}
	}
	return out
}

// headerCharset returns the charset parameter of a Content-Type value.
func headerCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if cs, ok := params["charset"]; ok {
			return strings.Trim(cs, `"' `)
		}
		return ""
	}
	if m := headerCharsetRe.FindStringSubmatch(contentType); m != nil {
		return m[1]
	}
	return ""
}

// lookupCharset resolves a charset label. Every GB label means GB18030 and
// every Big5 label the WHATWG Big5 (with HKSCS); other labels go through the
// WHATWG then the IANA registry.
func lookupCharset(label string) (charsetLabel, bool) {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch l {
	case "":
		return charsetLabel{}, false
	case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8":
		return labelUTF8, true
	case "gb2312", "gbk", "gb18030", "x-gbk", "cp936", "ms936", "windows-936",
		"euc-cn", "x-euc-cn", "csgb2312", "chinese", "gb_2312", "gb_2312-80",
		"iso-ir-58", "csiso58gb231280", "gb-2312":
		return labelGB18030, true
	case "big5", "big-5", "big5-hkscs", "big5hkscs", "cn-big5", "csbig5",
		"x-x-big5", "x-big5", "cp950", "ms950", "windows-950":
		return labelBig5, true
	}
	enc, err := htmlindex.Get(l)
	name, nerr := htmlindex.Name(enc)
	if err != nil || nerr != nil {
		enc, err = ianaindex.IANA.Encoding(l)
		name, nerr = ianaindex.IANA.Name(enc)
	}
	if err != nil || nerr != nil || enc == nil || name == "replacement" {
		return charsetLabel{}, false
	}
	if name = strings.ToLower(name); name == "utf-8" {
		return labelUTF8, true
	}
	return charsetLabel{name: name, enc: enc}, true
}

// fixProlog rewrites the XML declaration of decoded text to say UTF-8.
func fixProlog(text []byte) []byte {
	head := text[:min(len(text), 1024)]
	loc := prologEncRe.FindSubmatchIndex(head)
	if loc == nil {
		return text
	}
	// encoding="utf-8" already: nothing to rewrite (no copy of the body).
	if decl := bytes.Trim(bytes.TrimSpace(head[loc[3]:loc[1]][len("encoding"):]), "= \t\r\n\"'"); bytes.EqualFold(decl, []byte("utf-8")) {
		return text
	}
	out := make([]byte, 0, len(text)+8)
	out = append(out, text[loc[2]:loc[3]]...)
	out = append(out, `encoding="UTF-8"`...)
	out = append(out, text[loc[1]:]...)
	return out
}

func hasNonASCII(b []byte) bool {
	return bytes.ContainsFunc(b, func(r rune) bool { return r >= utf8.RuneSelf })
}

// candidate is body decoded with one charset, with the counts that score it.
type candidate struct {
	name    string
	text    []byte
	invalid int // invalid sequences, each now U+FFFD
	odd     int // private-use and control runes: typical of a wrong decoding
	common  int // runes from commonHan
}

// score weighs plausible Chinese against signs of a wrong decoding.
func (c candidate) score() int { return c.common - 3*(c.invalid+c.odd) }

func decodeAs(body []byte, l charsetLabel) candidate {
	c := candidate{name: l.name}
	if l.enc == nil {
		c.text = body
		if !utf8.Valid(body) {
			c.text = bytes.ToValidUTF8(body, []byte("\uFFFD"))
		}
	} else {
		// x/text decoders replace invalid input with U+FFFD; they only
		// fail on internal errors, which leave the text as far as it got.
		c.text, _ = l.enc.NewDecoder().Bytes(body)
	}
	for i := 0; i < len(c.text); {
		r, n := utf8.DecodeRune(c.text[i:])
		i += n
		switch {
		case r == utf8.RuneError:
			c.invalid++
		case r >= 0xE000 && r <= 0xF8FF, r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			c.odd++
		case r >= 0x3400 && commonHan[r]:
			c.common++
		}
	}
	return c
}

// commonHan holds about 580 of the most frequent Chinese characters, in simplified
// and in traditional script. A right decoding of Chinese text
// is full of them; GB18030 bytes read as Big5, or the reverse, almost never
// produce them. Built once, only read.
var commonHan = func() map[rune]bool {
	const simplified = "" +
		"的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因" +
		"只从想实日军者意无力它与长把机十民第公此已工使情明性知全三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或新己制身果加西斯月话合回特代内信表化老给世位次度门任常先海通教儿" +
		"原东声提立及比员解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电数安少报才结反受目太量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基眼书非则听白却界" +
		"达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济车亲极林服快办议往元英士证近失转夫令准布始怎呢存" +
		"未远叫台单影具罗字爱击流备兵连调深商算质团集百需价花党华城石级整府离况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历" +
		"首医局突专费号尽另周较注语仅考落青随选列武红响虽推势参希古众构房半节土投某案黑维革划敌致陈律足态护七兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型料终答紧黄绝奇察母京段依批群项故按河米围" +
		"江"
	const traditional = "" +
		"的一是不了在人有我他這個們中來上大為和國地到以說時要就出會可也你對生能而子那得於著下自之年過發後作裡用道行所然家種事成方多經麼去法學如都同現當沒動面起看定天分還進好小部其些主樣理心她本前開但因" +
		"只從想實日軍者意無力它與長把機十民第公此已工使情明性知全三又關點正業外將兩高間由問很最重並物手應戰向頭文體政美相見被利什二等產或新己製身果加西斯月話合回特代內信表化老給世位次度門任常先海通教兒" +
		"原東聲提立及比員解水名真論處走義各入幾口認條平係氣題活爾更別打女變四神總何電數安少報才結反受目太量再感建務做接必場件計管期市直德資命山金指克許統區保至隊形社便空決治展馬科司五基眼書非則聽白卻界" +
		"達光放強即像難且權思王象完設式色路記南品住告類求據程北邊死張該交規萬取拉格望覺術領共確傳師觀清今切院讓識候帶導爭運笑飛風步改收根幹造言聯持組每濟車親極林服快辦議往元英士證近失轉夫令準布始怎呢存" +
		"未遠叫臺單影具羅字愛擊流備兵連調深商算質團集百需價花黨華城石級整府離況亞請技際約示復病息究線似官火斷精滿支視消越器容照須九增研寫稱企八功嗎包片史委乎查輕易早曾除農找裝廣顯吧阿李標談吃圖念六引歷" +
		"首醫局突專費號盡另周較注語僅考落青隨選列武紅響雖推勢參希古眾構房半節土投某案黑維革劃敵致陳律足態護七興派孩驗責營星夠章音跟志底站嚴巴例防族供效續施留講型料終答緊黃絕奇察母京段依批群項故按河米圍" +
		"江"
	m := make(map[rune]bool, 700)
	for _, r := range simplified + traditional {
		m[r] = true
	}
	return m
}()
