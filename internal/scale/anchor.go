package scale

import (
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/mmcdole/gofeed"
)

// Anchor is the cost of gofeed parsing the sample body, measured in the
// same process right after the run.
type Anchor struct {
	Bytes int `json:"bytes"`
	// Entries in the sample body.
	Entries int `json:"entries"`
	// CPU per parse (user+system, GC included), median of three batches,
	// and the batches' min and max.
	CPU    float64 `json:"cpu_s"`
	CPUMin float64 `json:"cpu_min_s"`
	CPUMax float64 `json:"cpu_max_s"`
}

// MeasureAnchor parses body with gofeed.NewParser().ParseString in three
// batches of about total/3 each and reports the CPU time per parse.
func MeasureAnchor(body []byte, total time.Duration) (Anchor, error) {
	if total <= 0 {
		total = 3 * time.Second
	}
	s := string(body)
	feed, err := gofeed.NewParser().ParseString(s)
	if err != nil {
		return Anchor{}, fmt.Errorf("anchor: gofeed cannot parse the sample: %w", err)
	}
	a := Anchor{Bytes: len(body), Entries: len(feed.Items)}
	var perParse []float64
	runtime.GC()
	for range 3 {
		c0, err := CPUTime()
		if err != nil {
			return a, err
		}
		t0, n := time.Now(), 0
		for n < 3 || time.Since(t0) < total/3 {
			if _, err := gofeed.NewParser().ParseString(s); err != nil {
				return a, fmt.Errorf("anchor: %w", err)
			}
			n++
		}
		c1, err := CPUTime()
		if err != nil {
			return a, err
		}
		perParse = append(perParse, (c1-c0).Seconds()/float64(n))
	}
	slices.Sort(perParse)
	a.CPUMin, a.CPU, a.CPUMax = perParse[0], perParse[1], perParse[2]
	return a, nil
}
