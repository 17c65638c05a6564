package app

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/cluster"
)

// natsFlags are the flags that say with which credentials to reach a NATS
// server, for run with agents and for agent. No flag takes a secret: a
// token, user and password come from the environment, keys from files.
func natsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "nats-creds", Usage: "NATS user credentials `FILE` (a token, if the server wants one, comes from " + cluster.EnvToken + ")"},
		&cli.StringFlag{Name: "nats-nkey", Usage: "NATS NKey seed `FILE`"},
		&cli.StringFlag{Name: "nats-ca", Usage: "`FILE` with the CA certificates to trust (TLS)"},
		&cli.StringFlag{Name: "nats-cert", Usage: "client certificate `FILE` (TLS, with --nats-key)"},
		&cli.StringFlag{Name: "nats-key", Usage: "client key `FILE` (TLS, with --nats-cert)"},
	}
}

// natsOptions returns how cmd reaches the NATS server at url: the NATS
// flags, and the token, user and password from the environment.
func natsOptions(c *cli.Context, cmd, url string) (cluster.ConnectOptions, error) {
	if (c.String("nats-cert") == "") != (c.String("nats-key") == "") {
		return cluster.ConnectOptions{}, usagef("%s: --nats-cert and --nats-key go together", cmd)
	}
	return cluster.ConnectOptions{
		URL: url, Token: os.Getenv(cluster.EnvToken),
		User: os.Getenv(cluster.EnvUser), Password: os.Getenv(cluster.EnvPassword),
		CredsFile: c.String("nats-creds"), NKeyFile: c.String("nats-nkey"),
		CAFile: c.String("nats-ca"), CertFile: c.String("nats-cert"), KeyFile: c.String("nats-key"),
	}, nil
}
