package cli

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/qualitywatch/qualitywatch/classifier"
)

var decodeCases = []string{
	`{"id":"a","title":"标题","text":"正文"}`,
	` { "id" : "a" , "title" : "t" , "text" : "x" } `,
	`{"id":null,"title":"t"}`,
	`{"id":12,"title":"t"}`,
	`{"id":"a","title":"line\nbreak \"quoted\" \u8d28\u91cf","text":""}`,
	`{"id":"a","source":"x","category":"体育","label":2,"title":"t","text":"x"}`,
	`{"id":"a","meta":{"k":1},"title":"t"}`,
	`{"id":"a","Title":"t"}`,
	`{"id":"a","title":"t"} trailing`,
	`{"id":"a","title":"t",}`,
	`{"id":"a","title":"t\u0001"}`,
	`{"id":"a","title":"` + "\x01" + `"}`,
	`{"id":"a","title":"t"`,
	`{}`,
	`[]`,
	`"x"`,
	`{"id":"a","title":"invalid \xff utf8"}`,
	`{"id":"a","n":-1,"m":1.5,"title":"t"}`,
	`{"id":"a","title":null,"text":"x"}`,
	`{"id":"a","meta":{"k":[1,"}\"]"],"n":null},"title":"t"}`,
	`{"id":"a","meta":{"k":[1,2},"title":"t"}`,
	`{"id":"a","meta":[{"k":"\q"}],"title":"t"}`,
}

// TestDecodeItemFast checks the hand decoder against encoding/json: when it
// accepts a line it must read what encoding/json reads.
func TestDecodeItemFast(t *testing.T) {
	for _, line := range decodeCases {
		checkDecode(t, []byte(line))
	}
}

func FuzzDecodeItem(f *testing.F) {
	for _, line := range decodeCases {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, line []byte) { checkDecode(t, line) })
}

func checkDecode(t *testing.T, line []byte) {
	t.Helper()
	fast, ok := decodeItemFast(line)
	if !ok {
		return
	}
	slow, err := decodeItemSlow(line)
	if err != nil {
		t.Fatalf("%q: fast decoder accepted what encoding/json rejects: %v", line, err)
	}
	if fast.Title != slow.Title || fast.Text != slow.Text || !bytes.Equal(fast.ID, slow.ID) {
		t.Fatalf("%q: fast %+v, encoding/json %+v", line, fast, slow)
	}
}

func TestAppendVerdictJSON(t *testing.T) {
	v := classifier.Verdict{
		Match: true, Score: 0.875, Categories: []string{"sampling"}, Regions: []string{"weifang"},
		Terms: []classifier.Term{{Term: "抽检", Category: "sampling", Count: 3}, {Term: "a\"b\\c\u2028\x01", Category: "general", Count: 1}},
	}
	got := appendVerdictJSON(nil, json.RawMessage(`"x1"`), v)
	var back struct {
		ID string `json:"id"`
		classifier.Verdict
	}
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if back.ID != "x1" || !reflect.DeepEqual(back.Verdict, v) {
		t.Errorf("round trip: %s -> %+v", got, back)
	}
	empty := appendVerdictJSON(nil, json.RawMessage("null"), classifier.Verdict{Categories: []string{}, Regions: []string{"other"}, Terms: []classifier.Term{}})
	if want := `{"id":null,"match":false,"score":0,"categories":[],"regions":["other"],"terms":[]}` + "\n"; string(empty) != want {
		t.Errorf("empty verdict: %s, want %s", empty, want)
	}
}
