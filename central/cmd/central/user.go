package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/domain"
)

// maxPasswordInput bounds what is read from stdin or a password file.
const maxPasswordInput = 4096

// runUser runs `central user add|passwd|disable|enable|list`: it opens the configured
// store (applying migrations) and changes users through the same store code
// as the API, audited as "cli:<OS user>".
func runUser(ctx context.Context, configPath string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "central user: say add, passwd, disable, enable or list\n"+usage)
		return 2
	}
	verb, args := args[0], args[1:]
	flags := flag.NewFlagSet("central user "+verb, flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&configPath, "config", configPath, "YAML config file (as for central itself)")
	var username, role, display, badge, passwordFile string
	if verb == "add" || verb == "passwd" || verb == "disable" || verb == "enable" {
		flags.StringVar(&username, "username", "", "the user's name (also accepted as the first argument)")
	}
	if verb == "add" || verb == "passwd" {
		flags.StringVar(&passwordFile, "password-file", "", "read the password from this file (one line); default: standard input")
	}
	if verb == "add" {
		flags.StringVar(&role, "role", "", "one of: "+roleNames())
		flags.StringVar(&display, "display-name", "", "the name shown on pages (default: the username)")
		flags.StringVar(&badge, "badge", "", "badge code for signing in at stations (optional)")
	}
	switch verb {
	case "add", "passwd", "disable", "enable", "list":
	default:
		fmt.Fprintf(stderr, "central user: unknown command %q; say add, passwd, disable, enable or list\n", verb)
		return 2
	}
	// `central user add alice --role admin`: a leading name is the username.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") && verb != "list" {
		username, args = args[0], args[1:]
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "central user %s: unexpected arguments %q (a password is never given on the command line)\n", verb, flags.Args())
		return 2
	}
	if verb != "list" && username == "" {
		fmt.Fprintf(stderr, "central user %s: --username is required\n", verb)
		return 2
	}
	if verb == "add" && role == "" {
		fmt.Fprintf(stderr, "central user add: --role is required (one of: %s)\n", roleNames())
		return 2
	}
	if verb == "add" && !domain.Role(role).Valid() {
		fmt.Fprintf(stderr, "central user add: unknown role %q; one of: %s\n", role, roleNames())
		return 2
	}

	var password string
	if verb == "add" || verb == "passwd" {
		var err error
		if password, err = readPassword(passwordFile, stdin); err != nil {
			fmt.Fprintf(stderr, "central user %s: %v\n", verb, err)
			return 2
		}
		// Checked before the store is opened: a weak password fails fast.
		if password == "" {
			fmt.Fprintf(stderr, "central user %s: the password is empty; pipe it on standard input or give --password-file\n", verb)
			return 2
		}
		if err := domain.ValidPassword(password); err != nil {
			fmt.Fprintf(stderr, "central user %s: %v\n", verb, err)
			return 2
		}
	}

	cfg, _, err := loadConfig(configPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer st.Close()
	actor := cliActor()

	switch verb {
	case "add":
		if display == "" {
			display = username
		}
		u, err := app.AddUser(ctx, st, app.NewUser{Username: username, DisplayName: display, Role: role, Badge: badge, Password: password}, actor)
		switch {
		case errors.Is(err, domain.ErrConflict):
			what := fmt.Sprintf("user %q", username)
			if badge != "" {
				what += " or its badge"
			}
			fmt.Fprintf(stderr, "central user add: %s already exists (`central user passwd` changes a password)\n", what)
			return 1
		case errors.Is(err, domain.ErrInvalid):
			fmt.Fprintf(stderr, "central user add: %v\n", err)
			return 2
		case err != nil:
			fmt.Fprintf(stderr, "central user add: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "created user %s (%s) in %s, audited as %s\n", u.Username, u.Role, st.Driver(), actor.Name)
	case "passwd":
		err := app.SetPassword(ctx, st, username, password, actor)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			fmt.Fprintf(stderr, "central user passwd: no user %q (`central user list` lists them)\n", username)
			return 1
		case errors.Is(err, domain.ErrInvalid):
			fmt.Fprintf(stderr, "central user passwd: %v\n", err)
			return 2
		case err != nil:
			fmt.Fprintf(stderr, "central user passwd: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "changed the password of %s and ended their sessions, audited as %s\n", username, actor.Name)
	case "disable", "enable":
		changed, err := app.SetDisabled(ctx, st, username, verb == "disable", actor)
		var la *domain.LastAdminError
		switch {
		case errors.As(err, &la):
			fmt.Fprintf(stderr, "central user %s: %s (`central user add --role admin` creates one)\n", verb, la.Rule())
			return 1
		case errors.Is(err, domain.ErrNotFound):
			fmt.Fprintf(stderr, "central user %s: no user %q (`central user list` lists them)\n", verb, username)
			return 1
		case err != nil:
			fmt.Fprintf(stderr, "central user %s: %v\n", verb, err)
			return 1
		case !changed:
			fmt.Fprintf(stdout, "%s is already %sd; nothing changed\n", username, verb)
		case verb == "disable":
			fmt.Fprintf(stdout, "disabled %s and ended their sessions, audited as %s\n", username, actor.Name)
		default:
			fmt.Fprintf(stdout, "enabled %s (they sign in again), audited as %s\n", username, actor.Name)
		}
	case "list":
		us, err := st.ListUsers(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "central user list: %v\n", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tDISPLAY NAME\tBADGE\tDISABLED")
		for _, u := range us {
			badge := "" // a credential: the list says only whether there is one
			if u.HasBadge {
				badge = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", u.Username, u.Role, u.DisplayName, badge, u.Disabled)
		}
		if err := tw.Flush(); err != nil {
			return 1
		}
	}
	return 0
}

// readPassword reads one line from the file, or from stdin when file is
// empty. A terminal is refused rather than prompted: nothing would hide
// the echo, and scripts must not hang on a prompt.
func readPassword(file string, stdin io.Reader) (string, error) {
	if file != "" {
		pw, err := app.ReadPasswordFile(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		return pw, nil
	}
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return "", errors.New("standard input is a terminal; pipe the password in (e.g. from a secret store) or give --password-file")
		}
	}
	b, err := io.ReadAll(io.LimitReader(stdin, maxPasswordInput+1))
	if err != nil {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	if len(b) > maxPasswordInput {
		return "", fmt.Errorf("standard input holds more than %d bytes; give only the password", maxPasswordInput)
	}
	pw, err := app.PasswordLine(string(b))
	if err != nil {
		return "", fmt.Errorf("standard input %w", err)
	}
	return pw, nil
}

// cliActor is who CLI changes are audited as: the OS user running it.
func cliActor() domain.Actor {
	name := "cli"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = "cli:" + u.Username
	} else if v := os.Getenv("USER"); v != "" {
		name = "cli:" + v
	}
	return domain.Actor{Name: name, Role: domain.RoleAdmin}
}

func roleNames() string {
	var names []string
	for _, r := range domain.Roles() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}
