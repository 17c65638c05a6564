package app

import (
	"errors"
	"fmt"
	"os"

	"github.com/nats-io/nkeys"
	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/cluster"
)

// agentWork runs one replica assignment on this machine: it starts a worker
// process at the assignment's GOMAXPROCS, hands it the spec, calls ready
// once the worker is ready and returns the worker's report. The runner
// provides it; while it is nil, `scalebench agent` refuses to start.
var agentWork cluster.Work

// errNoAgentWork says this build cannot run replicas on an agent.
var errNoAgentWork = errors.New("agent: this build of scalebench cannot run replicas on an agent yet: " +
	"the runner does not provide the agent's worker, so the agent would register and then fail every assignment; " +
	"run replicas on one machine with `scalebench run` instead")

func agentCommand() *cli.Command {
	return &cli.Command{
		Name:  "agent",
		Usage: "serve a harness over NATS: run the replicas it assigns on this machine",
		Description: "Connects to the NATS server at --nats, registers with the harness of run --run and\n" +
			"runs the replicas it assigns as worker processes on this machine, until interrupted.\n" +
			"A token, if the server needs one, is read from the environment variable " + cluster.EnvToken + ",\n" +
			"never from the command line.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "nats", Usage: "NATS server `URL`, e.g. nats://harness:4222 (required)"},
			&cli.StringFlag{Name: "run", Value: "default", EnvVars: []string{cluster.EnvRun}, Usage: "run `ID` whose harness to serve"},
			&cli.StringFlag{Name: "id", Usage: "agent `NAME` in the harness's roster (default: the host name and the process id, host-1234)"},
			&cli.StringFlag{Name: "harness-key", Usage: "the harness's public NKey (`KEY`, U… or A…): act only on messages it signed (the harness's run --sign-key)"},
			&cli.StringFlag{Name: "nats-creds", Usage: "NATS user credentials `FILE`"},
			&cli.StringFlag{Name: "nats-nkey", Usage: "NATS NKey seed `FILE`"},
			&cli.StringFlag{Name: "nats-ca", Usage: "`FILE` with the CA certificates to trust (TLS)"},
			&cli.StringFlag{Name: "nats-cert", Usage: "client certificate `FILE` (TLS, with --nats-key)"},
			&cli.StringFlag{Name: "nats-key", Usage: "client key `FILE` (TLS, with --nats-cert)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("agent: takes no arguments, got %q", c.Args().Slice())
			}
			url := c.String("nats")
			if url == "" {
				return usagef("agent: --nats URL is required (the NATS server the harness uses)")
			}
			if (c.String("nats-cert") == "") != (c.String("nats-key") == "") {
				return usagef("agent: --nats-cert and --nats-key go together")
			}
			if agentWork == nil {
				return errNoAgentWork
			}
			stderr := c.App.ErrWriter
			a := cluster.AgentConfig{
				ID: c.String("id"), Run: c.String("run"), Work: agentWork, Version: Version,
				HarnessKey: c.String("harness-key"),
				Logf:       func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) },
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
			nc, err := cluster.Connect(cluster.ConnectOptions{
				URL: url, Token: os.Getenv(cluster.EnvToken),
				User: os.Getenv(cluster.EnvUser), Password: os.Getenv(cluster.EnvPassword),
				CredsFile: c.String("nats-creds"), NKeyFile: c.String("nats-nkey"),
				CAFile: c.String("nats-ca"), CertFile: c.String("nats-cert"), KeyFile: c.String("nats-key"),
				Name: "scalebench-agent",
			})
			if err != nil {
				return fmt.Errorf("agent: %w", err)
			}
			defer nc.Close()
			agent, err := cluster.NewAgent(nc, a)
			if err != nil {
				return fmt.Errorf("agent: %w", err)
			}
			fmt.Fprintf(stderr, "agent %s: connected to %s, serving run %s\n", agent.ID(), nc.ConnectedUrlRedacted(), a.Run)
			if err := agent.Run(c.Context); err != nil {
				return fmt.Errorf("agent: %w", err)
			}
			return nil
		},
	}
}
