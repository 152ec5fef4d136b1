package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
)

// Exit codes of the client subcommands. Scripts may rely on them.
const (
	exitOK      = 0 // success
	exitFailed  = 1 // the API answered an error, or could not be reached
	exitUsage   = 2 // bad flags or arguments, or no usable configuration
	exitOutcome = 3 // an awaited operation (watch, --watch, --wait) ended failed or canceled
	exitSignal  = 130
)

// Defaults of the connection settings.
const (
	defaultEndpoint = "127.0.0.1:8080"
	defaultRegion   = "cn-hangzhou"
	readTimeout     = 30 * time.Second
	connectTimeout  = 5 * time.Second
)

// globalFlags are accepted by every client subcommand, before or after its
// words. Empty strings mean "not given": the defaults are resolved in
// connect so that environment variables and profiles can take part.
type globalFlags struct {
	endpoint   string
	protocol   string
	region     string
	profile    string
	configPath string
	output     string
}

// register defines the global flags on fs, keeping values parsed earlier
// (flags given before a subcommand word) as the defaults.
func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.endpoint, "endpoint", g.endpoint, "API endpoint host:port (default $ACKUP_ENDPOINT, else "+defaultEndpoint+")")
	fs.StringVar(&g.protocol, "protocol", g.protocol, "http or https (default http for a loopback endpoint, else https)")
	fs.StringVar(&g.region, "region", g.region, "region id (default the profile's region_id, else "+defaultRegion+")")
	fs.StringVar(&g.profile, "profile", g.profile, "profile of the aliyun CLI config file to take credentials from")
	fs.StringVar(&g.configPath, "config-path", g.configPath, "aliyun CLI config file (default ~/.aliyun/config.json)")
	fs.StringVar(&g.output, "output", g.output, "output format: table, json or yaml (default table)")
	fs.StringVar(&g.output, "o", g.output, "shorthand for --output")
}

// cli is one client invocation: the global flags and the output streams.
type cli struct {
	stdout, stderr io.Writer
	g              globalFlags
	getenv         func(string) string
}

func newCLI(stdout, stderr io.Writer) *cli {
	return &cli{stdout: stdout, stderr: stderr, getenv: os.Getenv}
}

// usageError is a mistake in the command line; it exits with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// outcomeError reports that an awaited operation ended failed or canceled;
// it exits with exitOutcome.
type outcomeError struct{ msg string }

func (e *outcomeError) Error() string { return e.msg }

// exit prints err the way scripts can rely on and returns the exit code.
func (c *cli) exit(err error) int {
	var ue *usageError
	var oe *outcomeError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "ackup: %s\n", ue.msg)
		return exitUsage
	case errors.As(err, &oe):
		fmt.Fprintf(c.stderr, "ackup: %s\n", oe.msg)
		return exitOutcome
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(c.stderr, "ackup: interrupted")
		return exitSignal
	}
	if ae, ok := asAPIError(err); ok {
		fmt.Fprintf(c.stderr, "ackup: %s\n", ae)
		return exitFailed
	}
	fmt.Fprintf(c.stderr, "ackup: %v\n", err)
	return exitFailed
}

// flags returns a flag set for a subcommand ("cluster create") with the
// global flags defined.
func (c *cli) flags(name string) *flag.FlagSet {
	synopsis, about := synopsisOf(name)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: ackup %s %s\n\n%s.\n\nflags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	c.g.register(fs)
	return fs
}

// parse parses args with fs, allowing flags after positional arguments,
// checks the number of positional arguments and the output format, and
// returns the positional arguments. -h prints the usage to stdout.
func (c *cli) parse(fs *flag.FlagSet, args []string, minPos, maxPos int) ([]string, error) {
	fs.SetOutput(io.Discard)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(c.stdout)
		fs.Usage()
		return nil, err
	}
	hint := fmt.Sprintf("run 'ackup %s -h' for usage", fs.Name())
	switch {
	case err != nil:
		return nil, usagef("%s: %v; %s", fs.Name(), err, hint)
	case len(pos) < minPos:
		return nil, usagef("%s: missing arguments; %s", fs.Name(), hint)
	case maxPos >= 0 && len(pos) > maxPos:
		return nil, usagef("%s: unexpected argument %q; %s", fs.Name(), pos[maxPos], hint)
	}
	switch c.g.output {
	case "", "table", "json", "yaml":
	default:
		return nil, usagef("--output must be table, json or yaml, not %q", c.g.output)
	}
	return pos, nil
}

// parseInterspersed parses args with fs like fs.Parse, except that flags
// may also follow positional arguments; everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// session is a connected client: the SDK client and the settings it was
// made with.
type session struct {
	cs       *cs.Client
	region   string
	endpoint string
	out      printer
}

// parseConnect parses a subcommand's flags and positional arguments, then
// connects: the opening of every client subcommand.
func (c *cli) parseConnect(fs *flag.FlagSet, args []string, minPos, maxPos int) ([]string, *session, error) {
	pos, err := c.parse(fs, args, minPos, maxPos)
	if err != nil {
		return nil, nil, err
	}
	s, err := c.connect()
	if err != nil {
		return nil, nil, err
	}
	return pos, s, nil
}

// connect resolves credentials, endpoint and region and builds the SDK
// client.
func (c *cli) connect() (*session, error) {
	cred, err := resolveCredentials(c.g.profile, c.g.configPath, c.getenv)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	endpoint, protocol, err := resolveEndpoint(c.g.endpoint, c.g.protocol, c.getenv)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	region := c.g.region
	if region == "" {
		region = cred.region
	}
	if region == "" {
		region = c.getenv("ALIBABA_CLOUD_REGION_ID")
	}
	if region == "" {
		region = defaultRegion
	}
	cfg := &openapiutil.Config{
		AccessKeyId:     dara.String(cred.keyID),
		AccessKeySecret: dara.String(cred.secret),
		Endpoint:        dara.String(endpoint),
		Protocol:        dara.String(protocol),
		RegionId:        dara.String(region),
		ReadTimeout:     dara.Int(int(readTimeout / time.Millisecond)),
		ConnectTimeout:  dara.Int(int(connectTimeout / time.Millisecond)),
		UserAgent:       dara.String("ackup"),
	}
	if cred.token != "" {
		cfg.SecurityToken = dara.String(cred.token)
	}
	client, err := cs.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("create the ACK client: %w", err)
	}
	return &session{cs: client, region: region, endpoint: protocol + "://" + endpoint,
		out: printer{w: c.stdout, format: c.g.output}}, nil
}

// resolveEndpoint picks the endpoint (flag, then $ACKUP_ENDPOINT, then the
// local server) and the protocol (flag, then a scheme written in the
// endpoint, then http for loopback and https otherwise).
func resolveEndpoint(flagEndpoint, flagProtocol string, getenv func(string) string) (endpoint, protocol string, err error) {
	endpoint = flagEndpoint
	if endpoint == "" {
		endpoint = getenv("ACKUP_ENDPOINT")
	}
	if endpoint == "" {
		endpoint = defaultEndpoint
	}
	for _, scheme := range []string{"http", "https"} {
		if rest, ok := strings.CutPrefix(endpoint, scheme+"://"); ok {
			endpoint, protocol = rest, scheme
		}
	}
	endpoint = strings.TrimSuffix(endpoint, "/")
	if flagProtocol != "" {
		protocol = strings.ToLower(flagProtocol)
	}
	switch protocol {
	case "http", "https":
	case "":
		protocol = "https"
		if isLoopback(endpoint) {
			protocol = "http"
		}
	default:
		return "", "", fmt.Errorf("--protocol must be http or https, not %q", flagProtocol)
	}
	if endpoint == "" || strings.ContainsAny(endpoint, "/ ") {
		return "", "", fmt.Errorf("endpoint %q is not of the form host or host:port", endpoint)
	}
	return endpoint, protocol, nil
}

// isLoopback reports whether the endpoint's host is this machine.
func isLoopback(endpoint string) bool {
	host := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// apiError is an error answered by the API, as the SDK reports it.
type apiError struct {
	Code      string
	Message   string
	RequestID string
}

// String renders the error as scripts see it on stderr:
// "<Code>: <Message> (request id <id>)".
func (e apiError) String() string {
	s := e.Code + ": " + e.Message
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

// asAPIError extracts the API's code, message and request id from an SDK
// error. The SDK folds them into Message as "code: <status>, <message>
// request id: <id>" and keeps the error body as JSON in Data; the body is
// preferred, the folded message is the fallback.
func asAPIError(err error) (apiError, bool) {
	var code, msg, data *string
	var te *tea.SDKError
	var de *dara.SDKError
	switch {
	case errors.As(err, &te):
		code, msg, data = te.Code, te.Message, te.Data
	case errors.As(err, &de):
		code, msg, data = de.Code, de.Message, de.Data
	default:
		return apiError{}, false
	}
	e := apiError{Code: dara.StringValue(code), Message: dara.StringValue(msg)}
	var body map[string]any
	if json.Unmarshal([]byte(dara.StringValue(data)), &body) == nil {
		pick := func(keys ...string) string {
			for _, k := range keys {
				if s, ok := body[k].(string); ok && s != "" {
					return s
				}
			}
			return ""
		}
		if m := pick("message", "Message"); m != "" {
			e.Message = m
		}
		e.RequestID = pick("requestId", "RequestId", "request_id")
		if e.Code == "" {
			e.Code = pick("code", "Code")
		}
	}
	if i := strings.LastIndex(e.Message, " request id: "); i >= 0 {
		if e.RequestID == "" {
			e.RequestID = e.Message[i+len(" request id: "):]
		}
		e.Message = e.Message[:i]
	}
	if strings.HasPrefix(e.Message, "code: ") {
		if _, rest, ok := strings.Cut(e.Message, ", "); ok {
			e.Message = rest
		}
	}
	if e.Code == "" {
		e.Code = "UnknownError"
	}
	return e, true
}

// isAPICode reports whether err is an API error with the given code.
func isAPICode(err error, code string) bool {
	e, ok := asAPIError(err)
	return ok && e.Code == code
}
