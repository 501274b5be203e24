package watcher

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeUTF8 checks DecodeUTF8's contract on any body and Content-Type:
// it never panics, fails only on an empty body, always returns valid UTF-8
// with the charset it used, and gives the same answer twice. The seed
// corpus (testdata/fuzz/FuzzDecodeUTF8) holds GB18030, Big5, BOM, UTF-16,
// prolog, meta and mislabelled bodies.
func FuzzDecodeUTF8(f *testing.F) {
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"gb2312\"?><rss><channel><title>\xca\xd0\xb3\xa1\xbc\xe0\xb9\xdc</title></channel></rss>"), "text/xml")
	f.Add([]byte("\xef\xbb\xbf<rss><title>市场监管</title></rss>"), "application/rss+xml; charset=gbk")
	f.Add([]byte("<meta charset=\"big5\"><p>\xbc\xd0\xb7\xc7\xa7\xbd</p>"), "")
	f.Add([]byte("\xff\xfe<\x00?\x00x\x00"), "text/xml; charset=utf-16")
	f.Add([]byte("x"), "text/html; charset=\"")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		in := bytes.Clone(body)
		text, charset, err := DecodeUTF8(body, contentType)
		if !bytes.Equal(body, in) {
			t.Fatal("DecodeUTF8 changed its input")
		}
		if len(body) == 0 {
			if err == nil {
				t.Fatal("empty body: no error")
			}
			return
		}
		if err != nil {
			t.Fatalf("DecodeUTF8: %v; the only error is an empty body", err)
		}
		if charset == "" {
			t.Fatal("no charset reported")
		}
		if !utf8.Valid(text) {
			t.Fatalf("charset %s: decoded text is not valid UTF-8: %q", charset, text)
		}
		text2, charset2, err2 := DecodeUTF8(body, contentType)
		if err2 != nil || charset2 != charset || !bytes.Equal(text2, text) {
			t.Fatalf("not deterministic: %s %q, then %s %q (%v)", charset, text, charset2, text2, err2)
		}
	})
}
