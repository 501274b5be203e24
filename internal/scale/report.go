package scale

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
)

// Machine says where a run was measured.
type Machine struct {
	NProc      int    `json:"nproc"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Model      string `json:"cpu_model"`
	Go         string `json:"go"`
}

// ThisMachine describes the machine this process runs on.
func ThisMachine() Machine {
	m := Machine{NProc: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// Report is what a run measured. Figures named Steady are over the samples
// after the warm-up; the others over the whole run.
type Report struct {
	Machine  Machine `json:"machine"`
	Mode     string  `json:"mode,omitempty"`
	Sources  int     `json:"sources"`
	Hosts    int     `json:"hosts"`
	Schedule string  `json:"schedule"`
	Duration float64 `json:"duration_s"`
	Warmup   float64 `json:"warmup_s"`
	Notifier string  `json:"notifier"`

	// The daemon's process: CPU as % of one core.
	CPUPct       float64 `json:"cpu_pct"`
	SteadyCPUPct float64 `json:"steady_cpu_pct"`
	PeakRSS      int64   `json:"peak_rss"`
	FinalRSS     int64   `json:"final_rss"`
	FinalHeap    int64   `json:"final_heap_live"`

	Items       int64 `json:"items"`        // on QUALITYWATCH_ITEMS at the end
	SteadyItems int64 `json:"steady_items"` // published in the steady window
	// SteadyPolls are the feed requests in the steady window, of which
	// SteadyBodies were answered with a body (not 304).
	SteadyPolls  int64 `json:"steady_polls"`
	SteadyBodies int64 `json:"steady_bodies"`
	// CPUPerPoll is the daemon's CPU in the steady window per request;
	// CPUPerItem per item published. ParseRatio is CPUPerPoll over the
	// anchor's CPU per parse.
	CPUPerPoll float64 `json:"cpu_per_poll_s"`
	// ScheduleCPUPct is the load the schedule implies in the long run:
	// CPUPerPoll × Sources polls every Interval, as % of one core (the
	// steady window need not hold a whole number of intervals).
	ScheduleCPUPct float64 `json:"schedule_cpu_pct"`
	Interval       float64 `json:"interval_s"`
	CPUPerItem     float64 `json:"cpu_per_item_s,omitempty"`
	ParseRatio     float64 `json:"parse_ratio"`
	// Growth of resident memory and of the live heap per 10,000 items
	// published, in MiB: the least-squares slope over the steady samples
	// (NaN-free: 0 when no item was published).
	RSSPer10k  float64 `json:"rss_mib_per_10k_items"`
	HeapPer10k float64 `json:"heap_mib_per_10k_items"`
	FreePer10k float64 `json:"heap_free_mib_per_10k_items"` // held free by the runtime, not yet returned

	Anchor Anchor      `json:"anchor"`
	Server ServerStats `json:"server"`
	// ServerCPUPct is the feed server's process, for comparison.
	ServerCPUPct float64               `json:"server_cpu_pct"`
	Stores       map[string]StreamSize `json:"stores"`
	Samples      []Sample              `json:"samples,omitempty"`

	cpuStart float64 // the process's CPU time when the daemon started
}

func (r *Report) summarise() {
	if len(r.Samples) < 2 {
		return
	}
	first, last := r.Samples[0], r.Samples[len(r.Samples)-1]
	r.CPUPct = 100 * (last.CPU - r.cpuStart) / last.At // from the daemon's start
	r.PeakRSS, r.FinalRSS, r.FinalHeap = last.Peak, last.RSS, last.HeapLive
	r.Items = last.Items
	i := slices.IndexFunc(r.Samples, func(s Sample) bool { return s.At >= r.Warmup })
	if i < 0 || i == len(r.Samples)-1 {
		i = 0
	}
	steady := r.Samples[i:]
	s0 := steady[0]
	r.SteadyCPUPct = 100 * (last.CPU - s0.CPU) / (last.At - s0.At)
	r.SteadyItems = last.Items - s0.Items
	r.SteadyPolls = last.Server.Requests - s0.Server.Requests
	r.SteadyBodies = last.Server.Bodies - s0.Server.Bodies
	if r.SteadyPolls > 0 {
		r.CPUPerPoll = (last.CPU - s0.CPU) / float64(r.SteadyPolls)
	}
	if r.Interval > 0 {
		r.ScheduleCPUPct = 100 * r.CPUPerPoll * float64(r.Sources) / r.Interval
	}
	if r.SteadyItems > 0 {
		r.CPUPerItem = (last.CPU - s0.CPU) / float64(r.SteadyItems)
	}
	if r.Anchor.CPU > 0 {
		r.ParseRatio = r.CPUPerPoll / r.Anchor.CPU
	}
	r.RSSPer10k = mibPer10k(steady, func(s Sample) int64 { return s.RSS })
	r.HeapPer10k = mibPer10k(steady, func(s Sample) int64 { return s.HeapLive })
	r.FreePer10k = mibPer10k(steady, func(s Sample) int64 { return s.HeapFree })
	if d := last.At - first.At; d > 0 {
		r.ServerCPUPct = 100 * (last.Server.CPUSeconds - first.Server.CPUSeconds) / d
	}
}

// mibPer10k is the growth of bytes per 10,000 items over the samples, in
// MiB (slope's).
func mibPer10k(ss []Sample, bytes func(Sample) int64) float64 {
	return slope(ss, func(s Sample) float64 { return float64(bytes(s)) }) * 1e4 / (1 << 20)
}

// slope is the least-squares slope of y over the samples' items (0 when
// the items do not change).
func slope(ss []Sample, y func(Sample) float64) float64 {
	var n, sx, sy, sxx, sxy float64
	for _, s := range ss {
		x := float64(s.Items)
		n++
		sx += x
		sy += y(s)
		sxx += x * x
		sxy += x * y(s)
	}
	den := n*sxx - sx*sx
	if n < 2 || den == 0 {
		return 0
	}
	v := (n*sxy - sx*sy) / den
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	fmt.Fprintf(w, "machine: %d CPUs (GOMAXPROCS %d), %s, %s\n", r.Machine.NProc, r.Machine.GOMAXPROCS, r.Machine.Model, r.Machine.Go)
	fmt.Fprintf(w, "run: mode %s, %d sources on %d host(s) at %q, %.0fs (steady after %.0fs), notifier %s\n",
		r.Mode, r.Sources, max(r.Hosts, 1), r.Schedule, r.Duration, r.Warmup, r.Notifier)
	fmt.Fprintf(w, "daemon cpu: %.2f%% of one core over the run, %.2f%% steady; at the schedule (cpu per poll × %d sources / %.0fs): %.2f%%\n",
		r.CPUPct, r.SteadyCPUPct, r.Sources, r.Interval, r.ScheduleCPUPct)
	fmt.Fprintf(w, "daemon memory: peak resident %s, final resident %s, final live heap %s\n", mib(r.PeakRSS), mib(r.FinalRSS), mib(r.FinalHeap))
	fmt.Fprintf(w, "schedule lag (scheduled polls): %s\n", r.Server.Lag)
	fmt.Fprintf(w, "first gap (start-up poll to first scheduled poll, minus interval): %s\n", r.Server.FirstGap)
	fmt.Fprintf(w, "start-up: %d feeds polled, first requests spread over %.2f s\n", r.Server.FeedsPolled, r.Server.StartupSpread)
	fmt.Fprintf(w, "items on QUALITYWATCH_ITEMS: %d (%d in the steady window)\n", r.Items, r.SteadyItems)
	fmt.Fprintf(w, "steady polls: %d (%d with a body); daemon cpu per poll %.3f ms", r.SteadyPolls, r.SteadyBodies, 1e3*r.CPUPerPoll)
	if r.CPUPerItem > 0 {
		fmt.Fprintf(w, ", per item %.3f ms", 1e3*r.CPUPerItem)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "anchor: gofeed parse of the same %d-byte body (%d entries): %.3f ms cpu (batches %.3f..%.3f ms)\n",
		r.Anchor.Bytes, r.Anchor.Entries, 1e3*r.Anchor.CPU, 1e3*r.Anchor.CPUMin, 1e3*r.Anchor.CPUMax)
	fmt.Fprintf(w, "cpu per poll / anchor parse: %.2f×\n", r.ParseRatio)
	if r.SteadyItems > 0 {
		fmt.Fprintf(w, "growth per 10,000 items (steady, least squares): resident %+.2f MiB, live heap %+.2f MiB, heap held free %+.2f MiB\n", r.RSSPer10k, r.HeapPer10k, r.FreePer10k)
	}
	if r.Server.Counts.Alerts > 0 || r.Server.AlertsPending > 0 {
		fmt.Fprintf(w, "alert latency (response carrying the item -> webhook): %s; %d alerts, %d not matched to a served entry, %d alert-worthy entries without alert at the end\n",
			r.Server.AlertLatency, r.Server.Counts.Alerts, r.Server.Counts.AlertsUnknown, r.Server.AlertsPending)
	}
	fmt.Fprintf(w, "feed server (other process): %.2f%% of one core, %d requests, %d not modified, %s served\n",
		r.ServerCPUPct, r.Server.Counts.Requests, r.Server.Counts.NotModified, mib(r.Server.Counts.BytesServed))
	names := make([]string, 0, len(r.Stores))
	for n := range r.Stores {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "store %s: %d msgs, %s\n", n, r.Stores[n].Msgs, mib(int64(r.Stores[n].Bytes)))
	}
}

// Window is one stretch of a run: CPU per poll in it, and the
// least-squares growth of resident memory and live heap per 10,000 items
// over its samples.
type Window struct {
	From, To   float64 // seconds since the daemon started
	CPUPerPoll float64 // seconds
	RSSPer10k  float64 // MiB
	HeapPer10k float64 // MiB
	RSS        int64   // at its end
}

// Windows cuts the run's samples into windows of width seconds, the
// last one cut short is left out: how the figures move as a run grows.
func (r *Report) Windows(width float64) []Window {
	if width <= 0 || len(r.Samples) < 2 {
		return nil
	}
	var out []Window
	end := r.Samples[len(r.Samples)-1].At
	for from := 0.0; from+width <= end+1; from += width {
		var ws []Sample
		for _, s := range r.Samples {
			if s.At >= from && s.At <= from+width {
				ws = append(ws, s)
			}
		}
		if len(ws) < 3 {
			continue
		}
		a, b := ws[0], ws[len(ws)-1]
		w := Window{From: from, To: from + width, RSS: b.RSS,
			RSSPer10k:  mibPer10k(ws, func(s Sample) int64 { return s.RSS }),
			HeapPer10k: mibPer10k(ws, func(s Sample) int64 { return s.HeapLive })}
		if polls := b.Server.Requests - a.Server.Requests; polls > 0 {
			w.CPUPerPoll = (b.CPU - a.CPU) / float64(polls)
		}
		out = append(out, w)
	}
	return out
}

// PrintWindows writes Windows(width) for people.
func (r *Report) PrintWindows(w io.Writer, width float64) {
	fmt.Fprintf(w, "windows of %.0fs: cpu per poll, resident and live heap growth per 10,000 items, resident at the end\n", width)
	for _, x := range r.Windows(width) {
		fmt.Fprintf(w, "  %5.0f-%5.0f s  %7.3f ms  %+7.2f MiB  %+7.2f MiB  %7.1f MiB\n",
			x.From, x.To, 1e3*x.CPUPerPoll, x.RSSPer10k, x.HeapPer10k, float64(x.RSS)/(1<<20))
	}
}
