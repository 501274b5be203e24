package classifier

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// sharedDirOrEmpty is sharedDir without skipping: "" when absent.
func sharedDirOrEmpty() string {
	dir := os.Getenv("QUALITYWATCH_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared")
	}
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

// sharedDir locates the team's third-party test data: $QUALITYWATCH_SHARED,
// else ../../shared from this package. It skips the test when absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("QUALITYWATCH_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared test data not found at %s", dir)
	}
	return dir
}

type labelled struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Text  string `json:"text"`
	Label int    `json:"label"`
	Group string `json:"group"`
}

// readJSONL reads every line of a JSON lines file into T values.
func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("%v", err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}
