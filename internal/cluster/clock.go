package cluster

import "time"

// clockSample is one ping-pong exchange: t0 and t3 on the harness's clock
// when the ping left and the pong came back, t1 and t2 on the agent's clock
// when the ping arrived and the pong left.
type clockSample struct{ t0, t1, t2, t3 time.Time }

// offset is the agent's clock minus the harness's, NTP-style, assuming the
// network delay is the same both ways: ((t1-t0)+(t2-t3))/2.
func (s clockSample) offset() time.Duration {
	return (s.t1.Sub(s.t0) + s.t2.Sub(s.t3)) / 2
}

// rtt is the round trip without the agent's processing time; the offset's
// error is at most half of it.
func (s clockSample) rtt() time.Duration {
	return s.t3.Sub(s.t0) - s.t2.Sub(s.t1)
}

// bestOffset returns the offset and round trip of the sample with the
// smallest round trip, the one least disturbed by queueing.
func bestOffset(samples []clockSample) (offset, rtt time.Duration, ok bool) {
	for i, s := range samples {
		if i == 0 || s.rtt() < rtt {
			offset, rtt, ok = s.offset(), s.rtt(), true
		}
	}
	return offset, rtt, ok
}
