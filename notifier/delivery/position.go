package delivery

import "github.com/nats-io/nats.go/jetstream"

// position is where a runner is in the alerts stream, kept so that a
// consumer that disappears is created again where it was, not at the
// stream's end: nothing published while it was gone is skipped, and what
// was delivered before is not sent again (delivered marks stop a repeat of
// an alert settled after the position was taken).
type position struct {
	floor uint64 // every alert up to this stream sequence was acked or terminated
	held  uint64 // the lowest sequence naked since (0: none): it comes back
}

// start takes the position from a consumer just looked up or created: its
// ack floor, everything below which the server has settled.
func (p *position) start(cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	p.floor = max(p.floor, info.AckFloor.Stream)
	p.held = 0
}

// settled records the end of the runner's work on stream sequence seq:
// done (acked or terminated), or naked for a later redelivery.
func (p *position) settled(seq uint64, done bool) {
	switch {
	case !done:
		if p.held == 0 || seq < p.held {
			p.held = seq
		}
	case p.held == 0:
		p.floor = max(p.floor, seq)
	case seq == p.held:
		p.held = 0
		p.floor = max(p.floor, seq)
	}
}

// resume is the first stream sequence a new consumer must deliver.
func (p *position) resume() uint64 {
	if p.held > 0 {
		return p.held
	}
	return p.floor + 1
}
