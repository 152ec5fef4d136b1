package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ackup/ackup/internal/secret"
	"github.com/ackup/ackup/internal/server"
)

// `ackup key` manages AccessKeys and the server key directly on the
// database a server uses (also while it runs). The work is done by
// server.KeyAdmin and server.RotateServerKey; this file only reads flags.

const keyUsage = `usage: ackup key <command> [flags]

commands:
  create --account NAME       create an AccessKey pair (the secret is shown once)
  list                        list AccessKeys (never their secrets)
  disable ID                  refuse requests signed with the key
  enable ID                   accept the key again
  rotate-server-key --new-key-file FILE
                              re-seal every secret under a new server key

Every command takes the server's --db and --key-file (or ACKUP_SERVER_KEY).`

func runKey(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, keyUsage)
		return 0
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("ackup key "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "ackup.db", "the server's SQLite database file, or postgres:// URL")
	keyFile := fs.String("key-file", "", "the server's key file (default: <db>.key for SQLite, ackup.key for PostgreSQL)")
	var account, newKeyFile *string
	switch sub {
	case "create":
		account = fs.String("account", "", "account the key belongs to (required)")
	case "rotate-server-key":
		newKeyFile = fs.String("new-key-file", "", "file of the new server key, generated if it does not exist (required)")
	case "list", "disable", "enable":
	default:
		fmt.Fprintf(stderr, "ackup key: unknown command %q\n\n%s\n", sub, keyUsage)
		return 2
	}
	// The id of disable and enable may come before the flags or after.
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil { // flags after the id
			return 2
		}
	}
	key, err := serverKeyFromEnv(*keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "ackup key %s: %v\n", sub, err)
		return 2
	}
	cfg := server.Config{DB: *db, KeyFile: *keyFile, Key: key}
	if sub == "rotate-server-key" {
		return keyExit(stderr, sub, server.RotateServerKey(ctx, cfg, *newKeyFile), func() {
			fmt.Fprintf(stdout, "Every secret is now sealed with the key in %s. Start every replica with --key-file %s.\n", *newKeyFile, *newKeyFile)
		})
	}
	needsID := sub == "disable" || sub == "enable"
	if fs.NArg() > 0 || needsID != (id != "") {
		want := "no arguments"
		if needsID {
			want = "one AccessKey id"
		}
		fmt.Fprintf(stderr, "ackup key %s: want %s\n", sub, want)
		return 2
	}
	admin, err := server.OpenKeyAdmin(ctx, cfg)
	if err != nil {
		return keyExit(stderr, sub, err, nil)
	}
	defer admin.Close()
	switch sub {
	case "create":
		id, sec, err := admin.Create(ctx, *account)
		return keyExit(stderr, sub, err, func() {
			fmt.Fprintf(stdout, "Created an AccessKey pair for account %s (shown only this once):\n  ALIBABA_CLOUD_ACCESS_KEY_ID=%s\n  ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n", *account, id, sec)
		})
	case "list":
		keys, err := admin.List(ctx)
		return keyExit(stderr, sub, err, func() {
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tACCOUNT\tSTATE\tCREATED")
			for _, k := range keys {
				state := "enabled"
				if !k.Active {
					state = "disabled"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", k.ID, k.Account, state, k.Created.UTC().Format(time.RFC3339))
			}
			w.Flush()
		})
	default: // disable, enable
		return keyExit(stderr, sub, admin.SetActive(ctx, id, sub == "enable"), func() {
			fmt.Fprintf(stdout, "AccessKey %s %sd; every server sees it within a second.\n", id, sub)
		})
	}
}

// keyExit reports err, or runs ok, and returns the exit code.
func keyExit(stderr io.Writer, sub string, err error, ok func()) int {
	if err != nil {
		fmt.Fprintf(stderr, "ackup key %s: %v\n", sub, err)
		return 1
	}
	if ok != nil {
		ok()
	}
	return 0
}

// serverKeyFromEnv returns the server key given in ACKUP_SERVER_KEY, or
// nil when it is unset. Setting it and --key-file together is a mistake
// worth stopping on: which key would win is not obvious.
func serverKeyFromEnv(keyFile string) ([]byte, error) {
	v, set := os.LookupEnv(server.KeyEnv)
	if !set {
		return nil, nil
	}
	if keyFile != "" {
		return nil, errors.New("both --key-file and " + server.KeyEnv + " are set; use one")
	}
	key, err := secret.DecodeKeyBase64(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", server.KeyEnv, err)
	}
	return key, nil
}
