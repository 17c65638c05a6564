package cluster

import (
	"cmp"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Environment variables through which a harness hands a NATS connection to
// the processes it starts. The token travels only here, never in argv.
const (
	EnvURL   = "SCALEBENCH_NATS_URL"
	EnvToken = "SCALEBENCH_NATS_TOKEN"
	EnvRun   = "SCALEBENCH_RUN"
	// EnvUser and EnvPassword give a user and password for a server with
	// one user per role (deploy/compose/nats.conf).
	EnvUser     = "SCALEBENCH_NATS_USER"
	EnvPassword = "SCALEBENCH_NATS_PASSWORD"
)

// maxPayload bounds one message; a report carries a replica's histograms
// and time series, which stay well below it.
const maxPayload = 8 << 20

// Server is an embedded NATS server on a loopback port chosen by the OS that
// admits only clients presenting its per-run token.
type Server struct {
	// URL is the client URL, nats://127.0.0.1:PORT, without credentials.
	URL string
	// Token is the secret clients must present; keep it out of argv and files.
	Token string
	srv   *server.Server
}

// StartServer starts an embedded server with a fresh random token and
// returns once it accepts connections.
func StartServer() (*Server, error) {
	token, err := NewToken()
	if err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName:    "scalebench",
		Host:          "127.0.0.1",
		Port:          server.RANDOM_PORT,
		Authorization: token,
		NoLog:         true,
		NoSigs:        true,
		MaxPayload:    maxPayload,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: start embedded NATS server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("cluster: start embedded NATS server: not ready to accept connections within 10s")
	}
	return &Server{URL: srv.ClientURL(), Token: token, srv: srv}, nil
}

// Close stops the server, closing every client connection, and waits until
// it has shut down.
func (s *Server) Close() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
}

// Env is the environment a local process needs to join run over this server:
// append it to the child's environment.
func (s *Server) Env(run string) []string {
	return []string{EnvURL + "=" + s.URL, EnvToken + "=" + s.Token, EnvRun + "=" + run}
}

// Connect opens a client connection to this server with its token.
func (s *Server) Connect(name string) (*nats.Conn, error) {
	return Connect(ConnectOptions{URL: s.URL, Token: s.Token, Name: name})
}

// NewToken returns 32 random bytes from crypto/rand, hex-encoded.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cluster: token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// ConnectOptions say how to reach a NATS server and which credentials to
// present. Files are read by the NATS client when it connects.
type ConnectOptions struct {
	URL   string
	Token string // from the environment, never a flag
	// User and Password, from the environment too, for a server with
	// users.
	User, Password string
	// CredsFile is a NATS user credentials file (JWT and NKey seed).
	CredsFile string
	// NKeyFile holds an NKey seed.
	NKeyFile string
	// CAFile, CertFile and KeyFile configure TLS: a CA to trust, and a client
	// certificate with its key.
	CAFile, CertFile, KeyFile string
	// Name identifies the connection in the server's monitoring.
	Name string
	// Timeout bounds the initial connection; 0 means 5s.
	Timeout time.Duration
}

// OptionsFromEnv fills URL, Token and nothing else from the environment
// variables EnvURL and EnvToken (getenv nil means os.Getenv).
func OptionsFromEnv(getenv func(string) string) ConnectOptions {
	if getenv == nil {
		getenv = os.Getenv
	}
	return ConnectOptions{URL: getenv(EnvURL), Token: getenv(EnvToken)}
}

// Connect opens a connection that reconnects by itself after it was once
// established. A refused or unreachable server fails at once with an error
// that says which, without echoing any secret.
func Connect(o ConnectOptions) (*nats.Conn, error) {
	if o.URL == "" {
		return nil, errors.New("cluster: connect: no NATS server URL given")
	}
	shown := RedactURL(o.URL)
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.Timeout(cmp.Or(o.Timeout, 5*time.Second)),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.NoCallbacksAfterClientClose(),
	}
	if o.Token != "" {
		opts = append(opts, nats.Token(o.Token))
	}
	if o.User != "" {
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	}
	if o.CredsFile != "" {
		if _, err := os.Stat(o.CredsFile); err != nil {
			return nil, fmt.Errorf("cluster: connect: credentials file: %w", err)
		}
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.NKeyFile != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("cluster: connect: nkey file %s: %w", o.NKeyFile, err)
		}
		opts = append(opts, opt)
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return nil, errors.New("cluster: connect: a TLS client certificate needs both a certificate file and a key file")
	}
	if o.CertFile != "" {
		opts = append(opts, nats.ClientCert(o.CertFile, o.KeyFile))
	}
	if o.CAFile != "" {
		opts = append(opts, nats.RootCAs(o.CAFile))
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		err = &redactedError{err}
	}
	switch {
	case err == nil:
		return nc, nil
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked):
		return nil, fmt.Errorf("cluster: connect to %s: the server refused our credentials (check %s, %s and %s, the credentials file, the nkey or the client certificate): %w", shown, EnvToken, EnvUser, EnvPassword, err)
	case errors.As(err, new(x509.UnknownAuthorityError)), errors.As(err, new(*tls.CertificateVerificationError)):
		return nil, fmt.Errorf("cluster: connect to %s: the server's TLS certificate is not signed by a CA we trust (give its CA with --nats-ca): %w", shown, err)
	case strings.Contains(err.Error(), "certificate required"):
		return nil, fmt.Errorf("cluster: connect to %s: the server requires a TLS client certificate (--nats-cert and --nats-key): %w", shown, err)
	case errors.Is(err, nats.ErrTLS) && o.CertFile == "" && strings.Contains(err.Error(), "closed by remote"):
		// With TLS 1.3 a server that wants a client certificate may just
		// close the connection after the handshake.
		return nil, fmt.Errorf("cluster: connect to %s: the server closed the connection after the TLS handshake; it probably requires a TLS client certificate (--nats-cert and --nats-key): %w", shown, err)
	case errors.Is(err, nats.ErrNoServers):
		return nil, fmt.Errorf("cluster: connect to %s: no NATS server answered there: %w", shown, err)
	}
	return nil, fmt.Errorf("cluster: connect to %s: %w", shown, err)
}

// RedactURL replaces the user information (user, password or token) of
// every entry of a comma-separated list of server URLs with REDACTED, so the
// list can be printed. Text that is not such a list keeps nothing between
// "//" and "@".
func RedactURL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = redactOne(p)
	}
	return strings.Join(parts, ",")
}

// userinfo finds what lies between a scheme's "//" and the host's "@".
var userinfo = regexp.MustCompile(`//[^/@\s]*@`)

func redactOne(s string) string {
	trimmed := strings.TrimSpace(s)
	u, err := url.Parse(trimmed)
	if err == nil && u.User != nil {
		u.User = url.User("REDACTED")
		return strings.Replace(s, trimmed, u.String(), 1)
	}
	// Whatever did not parse loses anything that looks like user information.
	return userinfo.ReplaceAllString(s, "//REDACTED@")
}

// redactedError is an error whose text has every URL's user information
// redacted (a parse error quotes the URL it failed on).
type redactedError struct{ err error }

func (e *redactedError) Error() string {
	return userinfo.ReplaceAllString(e.err.Error(), "//REDACTED@")
}
func (e *redactedError) Unwrap() error { return e.err }

// ReadSignKey reads the NKey seed in path with which a harness signs its
// messages to the agents.
func ReadSignKey(path string) (nkeys.KeyPair, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cluster: harness signing key: %w", err)
	}
	seed, err := nkeys.ParseDecoratedNKey(data)
	if err != nil {
		return nil, fmt.Errorf("cluster: harness signing key %s: not an NKey seed: %w", path, err)
	}
	if _, err := seed.Seed(); err != nil {
		return nil, fmt.Errorf("cluster: harness signing key %s: holds a public key, not a seed: %w", path, err)
	}
	return seed, nil
}
