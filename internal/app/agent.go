package app

import (
	"fmt"

	"github.com/nats-io/nkeys"
	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/agent"
	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/workload"
)

func agentCommand() *cli.Command {
	return &cli.Command{
		Name:  "agent",
		Usage: "serve a harness over NATS: run the replicas it assigns on this machine",
		Description: "Connects to the NATS server at --nats, registers with the harness of run --run and\n" +
			"runs the replicas it assigns as worker processes on this machine, until interrupted.\n" +
			"A token, if the server needs one, is read from the environment variable " + cluster.EnvToken + ",\n" +
			"never from the command line.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "nats", Usage: "NATS server `URL`, e.g. nats://harness:4222 (required)"},
			&cli.StringFlag{Name: "run", Value: "default", EnvVars: []string{cluster.EnvRun}, Usage: "run `ID` whose harness to serve"},
			&cli.StringFlag{Name: "id", Usage: "agent `NAME` in the harness's roster (default: the host name and the process id, host-1234)"},
			&cli.StringFlag{Name: "harness-key", Usage: "the harness's public NKey (`KEY`, U… or A…): act only on messages it signed (the harness's run --sign-key)"},
		}, natsFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("agent: takes no arguments, got %q", c.Args().Slice())
			}
			url := c.String("nats")
			if url == "" {
				return usagef("agent: --nats URL is required (the NATS server the harness uses)")
			}
			connect, err := natsOptions(c, "agent", url)
			if err != nil {
				return err
			}
			connect.Name = "scalebench-agent"
			// Each assigned replica runs in a worker process of this
			// executable, at the assignment's GOMAXPROCS.
			work := agent.NewWorker(nil, nil)
			defer work.Close()
			stderr := c.App.ErrWriter
			a := cluster.AgentConfig{
				ID: c.String("id"), Run: c.String("run"), Work: work.Work, Version: Version,
				HarnessKey: c.String("harness-key"), Workloads: workload.Names(),
				Logf: func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) },
				// Its worker processes are of this executable, which
				// sends the buckets of their windows as they close.
				Progress: true,
			}
			if a.ID != "" {
				if err := cluster.ValidID(a.ID); err != nil {
					return usagef("agent: --id: %w", err)
				}
			}
			if err := cluster.ValidID(a.Run); err != nil {
				return usagef("agent: --run: %w", err)
			}
			if a.HarnessKey != "" {
				if _, err := nkeys.FromPublicKey(a.HarnessKey); err != nil {
					return usagef("agent: --harness-key: not a public NKey (the harness's U… or A… key): %w", err)
				}
			}
			nc, err := cluster.Connect(connect)
			if err != nil {
				return fmt.Errorf("agent: %w", err)
			}
			defer nc.Close()
			ag, err := cluster.NewAgent(nc, a)
			if err != nil {
				return fmt.Errorf("agent: %w", err)
			}
			fmt.Fprintf(stderr, "agent %s: connected to %s, serving run %s\n", ag.ID(), nc.ConnectedUrlRedacted(), a.Run)
			if err := ag.Run(c.Context); err != nil {
				return fmt.Errorf("agent: %w", err)
			}
			return nil
		},
	}
}
