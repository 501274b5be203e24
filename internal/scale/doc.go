// Package scale is qualitywatch's scale harness: it serves many loopback
// feeds, runs the real daemon against them for a while and reports what the
// daemon cost, so that the figures in BENCHMARKS.md can be reproduced.
//
// The harness has two halves, meant to run in two processes so that the
// daemon's figures are its own:
//
//  1. Feeds (qwscale serve) serves N RSS 2.0 feeds from one HTTP server on
//     127.0.0.1, in one of three modes (Mode304, ModeNew, ModeStatic). It
//     measures on the server side what the daemon cannot see of itself:
//     the gap between consecutive requests for the same feed (schedule
//     lag), and, with a webhook notifier pointed at it, the time from the
//     response that first carried an item to the alert for it.
//  2. Run (qwscale run) builds the daemon with app.Build from a generated
//     config (embedded NATS in a temporary store, no HTTP endpoint, the
//     feeds at the given schedule), runs it for a duration and samples,
//     every second, its CPU time (getrusage), resident memory
//     (/proc/self/status), live heap, the items on QUALITYWATCH_ITEMS and
//     the feed server's counters. It then measures the anchor, gofeed
//     parsing the same bytes, in the same process, and prints a Report.
//
// Nothing here runs under go test ./...: the harness is a command.
package scale
