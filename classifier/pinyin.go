package classifier

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// maxPinyin bounds how far back from a closing parenthesis an annotation is
// looked for: four syllables with spaces.
const maxPinyin = 4 * (7*2 + 1)

// toneVowels are the vowels that carry a pinyin tone mark (in NFC form).
const toneVowels = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"

// dropPinyin removes a trailing "(pinyin)" from buf when it follows a Han
// character: buf ends with ')'. It returns buf, shortened or not.
func dropPinyin(buf []byte) []byte {
	lo := max(0, len(buf)-maxPinyin)
	open := bytes.LastIndexByte(buf[lo:len(buf)-1], '(')
	if open < 0 {
		return buf
	}
	open += lo
	if open == 0 {
		return buf
	}
	before, _ := utf8.DecodeLastRune(buf[:open])
	if !isHan(before) || !isPinyin(string(buf[open+1:len(buf)-1])) {
		return buf
	}
	return buf[:open]
}

// isPinyin reports whether s is one to four pinyin syllables separated by
// single spaces, at least one of them with a tone mark or tone digit.
func isPinyin(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	toned := false
	syllables := 0
	for syl := range strings.SplitSeq(s, " ") {
		syllables++
		if syllables > 4 {
			return false
		}
		letters := 0
		for i, r := range syl {
			switch {
			case r >= 'a' && r <= 'z' || r == 'ü':
				letters++
			case strings.ContainsRune(toneVowels, r):
				letters++
				toned = true
			case r >= '0' && r <= '5' && i == len(syl)-1 && letters > 0:
				toned = true
			default:
				return false
			}
		}
		if letters == 0 || letters > 6 {
			return false
		}
	}
	return toned
}
