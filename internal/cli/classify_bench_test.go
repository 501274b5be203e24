package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/qualitywatch/qualitywatch/classifier"
)

// BenchmarkClassifyJSONL measures classify --jsonl on the shared pool (one
// worker, so that it compares with one core's bare scan).
func BenchmarkClassifyJSONL(b *testing.B) {
	dir := os.Getenv("QUALITYWATCH_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared")
	}
	data, err := os.ReadFile(filepath.Join(dir, "data", "pool.jsonl"))
	if err != nil {
		b.Skipf("no pool: %v", err)
	}
	c := classifier.Default()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := classifyJSONL(b.Context(), c, bytes.NewReader(data), io.Discard, 1); err != nil {
			b.Fatal(err)
		}
	}
}
