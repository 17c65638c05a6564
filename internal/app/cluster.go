package app

import (
	"cmp"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/runner"
	"github.com/scalebench/scalebench/internal/scenario"
)

// clusterFlags are run's flags for running replicas on agents, the NATS
// flags among them. No flag takes a secret.
var clusterFlags = append([]cli.Flag{
	&cli.StringFlag{Name: "nats", Usage: "run the replicas on agents over the NATS server at `URL` (default: worker processes on this machine; scenario: cluster.nats_url)"},
	&cli.IntFlag{Name: "agents", DefaultText: "none", Usage: "wait for `N` agents and spread each cell's replicas over them (scenario: cluster.agents)"},
	&cli.StringFlag{Name: "run-id", DefaultText: "default", Usage: "run `ID` the agents serve, their --run (scenario: cluster.run)"},
	&cli.DurationFlag{Name: "agents-wait", DefaultText: "2m", Usage: "how long to wait for the agents, `D` (scenario: cluster.wait)"},
	&cli.IntFlag{Name: "retries", Value: -1, DefaultText: "1", Usage: "try a failed measurement again up to `N` times (scenario: cluster.retries)"},
}, append(natsFlags(),
	&cli.StringFlag{Name: "sign-key", Usage: "NKey seed `FILE` that signs every message to the agents; agents pin its public key with --harness-key"},
)...)

// clusterOptions returns where run's replicas run (nil: on this machine)
// and how often a failed measurement is retried (runner.Options.Retries),
// from the flags, falling back on the scenario's cluster section.
func clusterOptions(c *cli.Context, sc *scenario.Scenario) (*runner.Cluster, int, error) {
	n := 1
	switch {
	case c.Int("retries") >= 0:
		n = c.Int("retries")
	case sc.Cluster.Retries != nil:
		n = *sc.Cluster.Retries
	}
	retries := n
	if n == 0 {
		retries = -1 // runner.Options: none
	}
	url := cmp.Or(c.String("nats"), sc.Cluster.NATSURL)
	agents := cmp.Or(c.Int("agents"), sc.Cluster.Agents)
	if url == "" {
		if agents > 0 {
			return nil, 0, usagef("run: --agents %d needs the NATS server the agents use: --nats URL or cluster.nats_url", agents)
		}
		var given []string
		for _, f := range natsFlags() {
			given = append(given, f.Names()[0])
		}
		for _, f := range append(given, "run-id", "agents-wait", "sign-key") {
			if c.IsSet(f) {
				return nil, 0, usagef("run: --%s applies only with --nats URL (agents on other machines)", f)
			}
		}
		return nil, retries, nil
	}
	if agents < 1 {
		return nil, 0, usagef("run: --nats needs the number of agents to wait for: --agents N or cluster.agents")
	}
	if c.Bool("pin") {
		return nil, 0, usagef("run: --pin places worker processes on this machine's CPUs; with --nats the replicas run on the agents")
	}
	connect, err := natsOptions(c, "run", url)
	if err != nil {
		return nil, 0, err
	}
	run := cmp.Or(c.String("run-id"), sc.Cluster.Run, "default")
	if err := cluster.ValidID(run); err != nil {
		return nil, 0, usagef("run: --run-id: %w", err)
	}
	return &runner.Cluster{
		Connect:     connect,
		Agents:      agents,
		Run:         run,
		Wait:        cmp.Or(c.Duration("agents-wait"), sc.Cluster.Wait.D()),
		SignKeyFile: c.String("sign-key"),
	}, retries, nil
}
