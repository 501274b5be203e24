package scale

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// CPUTime is the CPU time this process has used, user and system, all its
// threads included (getrusage RUSAGE_SELF).
func CPUTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// Resident is this process's resident memory (VmRSS) and its peak (VmHWM),
// in bytes, from /proc/self/status.
func Resident() (rss, peak int64, err error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, fmt.Errorf("read resident memory: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		var dst *int64
		switch {
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			dst = &rss
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			dst = &peak
		default:
			continue
		}
		fields := bytes.Fields(line)
		if len(fields) < 2 {
			return 0, 0, fmt.Errorf("read resident memory: odd line %q", line)
		}
		kb, err := strconv.ParseInt(string(fields[1]), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("read resident memory: %w", err)
		}
		*dst = kb << 10
	}
	return rss, peak, nil
}

// Dist summarises durations, in seconds.
type Dist struct {
	N   int     `json:"n"`
	Min float64 `json:"min_s"`
	P50 float64 `json:"p50_s"`
	P99 float64 `json:"p99_s"`
	Max float64 `json:"max_s"`
}

// Distribution summarises ds (nearest-rank percentiles).
func Distribution(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return Dist{N: len(s), Min: s[0].Seconds(), P50: rank(0.50).Seconds(), P99: rank(0.99).Seconds(), Max: s[len(s)-1].Seconds()}
}

func (d Dist) String() string {
	if d.N == 0 {
		return "none"
	}
	return fmt.Sprintf("p50 %.3f s, p99 %.3f s, max %.3f s (min %.3f s, n=%d)", d.P50, d.P99, d.Max, d.Min, d.N)
}
