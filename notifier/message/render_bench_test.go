package message_test

import (
	"testing"

	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

func BenchmarkRender(b *testing.B) {
	r, err := message.NewRenderer(message.Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchmarks := []struct {
		name   string
		format message.Format
		n      int
	}{
		{"text single", message.Format{}, 1},
		{"markdown single", message.Format{Markdown: true}, 1},
		{"markdown digest 120 in 4096 bytes", message.Format{Markdown: true, MaxBytes: 4096}, 120},
	}
	for _, bm := range benchmarks {
		alerts := messagetest.Digest(bm.n)
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.Render(bm.format, alerts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
