package analysis

import (
	"fmt"
	"slices"

	"github.com/scalebench/scalebench/internal/results"
)

// maxSkew is the largest start skew, as a fraction of the measured window,
// that leaves the replicas' windows overlapping well enough to add up.
const maxSkew = 0.01

// startChecks warns about measurements whose replicas started too far apart
// and about measurements that had to be retried, with the reason.
func startChecks(c *Cell) []Warning {
	var ws []Warning
	var worst, window float64
	for _, r := range c.Repeats {
		if r.Start == nil || r.Elapsed <= 0 {
			continue
		}
		if f := r.Start.Skew / r.Elapsed; f > worst {
			worst, window = f, r.Elapsed
		}
	}
	if worst > maxSkew {
		ws = append(ws, Warning{Kind: "start-skew", Message: fmt.Sprintf(
			"the replicas received the go signal up to %s apart, %.1f%% of the %s window (more than %.0f%%): their windows overlap only partly",
			seconds(worst*window), 100*worst, seconds(window), 100*maxSkew)})
	}
	var retried int
	var reason string
	for _, r := range slices.Concat(c.Repeats, c.Failed) {
		if len(r.Retries) > 0 {
			retried++
			if reason == "" {
				reason = r.Retries[0].Reason
			}
		}
	}
	if retried > 0 {
		ws = append(ws, Warning{Kind: "retried", Message: fmt.Sprintf(
			"%d measurement(s) failed and were retried; the first because: %s", retried, reason)})
	}
	return ws
}

// agentLoad warns when the replicas an agent runs need more CPUs than it
// has: replicas go round robin over the agents, so the busiest runs
// ceil(replicas / agents) of them.
func agentLoad(c *Cell, agents []results.Agent) []Warning {
	per := (c.Params.Replicas + len(agents) - 1) / len(agents)
	cpus := agents[0]
	for _, a := range agents[1:] {
		if a.CPUs < cpus.CPUs {
			cpus = a
		}
	}
	if cpus.CPUs <= 0 || c.Params.GOMAXPROCS*per <= cpus.CPUs {
		return nil
	}
	return []Warning{{Kind: "oversubscribed", Message: fmt.Sprintf(
		"GOMAXPROCS %d × %d replicas per agent exceeds the %d CPUs of agent %s: parallelism is capped by the machine",
		c.Params.GOMAXPROCS, per, cpus.CPUs, cpus.ID)}}
}
