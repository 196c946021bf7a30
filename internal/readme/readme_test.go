package readme_test

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// readmePath is the README, from this package's directory.
const readmePath = "../../README.md"

// packages are the packages a snippet may use without importing them, by
// the name it uses: the snippets are fragments, so the test adds the
// import of each name that appears as the X of a selector X.Sel.
var packages = map[string]string{
	"bearer":        "github.com/bearer-go/bearer",
	"c2":            "github.com/bearer-go/bearer/c2",
	"c2test":        "github.com/bearer-go/bearer/c2/c2test",
	"oauthtest":     "github.com/bearer-go/bearer/oauth/oauthtest",
	"climateengine": "github.com/bearer-go/bearer/climateengine",
	"login":         "github.com/bearer-go/bearer/login",
	"oauth":         "github.com/bearer-go/bearer/oauth",
	"tokenrefresh":  "github.com/bearer-go/bearer/tokenrefresh",
	"redisstore":    "github.com/bearer-go/bearer/tokenrefresh/redisstore",
	"otelobserver":  "github.com/bearer-go/bearer/tokenrefresh/otelobserver",
	"secret":        "github.com/bearer-go/bearer/secret",
	"redis":         "github.com/redis/go-redis/v9",
	"oauth2":        "golang.org/x/oauth2",
	"context":       "context",
	"errors":        "errors",
	"http":          "net/http",
	"os":            "os",
	"time":          "time",
	"tls":           "crypto/tls",
}

// preamble declares what the snippets take as given, as the README's
// text describes it: a context, a refresh function, a token as issued, a
// store, credentials, discovered metadata, a web handler's request, the
// test a test kit's snippet runs in, the caller's own User type.
const preamble = `package snippets

import (
	"context"
	"crypto"
	"net/http"
	"testing"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/tokenrefresh"
)

var (
	ctx          = context.Background()
	fetch        tokenrefresh.RefreshFunc // fetches a new token
	rotate       tokenrefresh.RefreshFunc // rotates the current one
	tok          = "a token as issued"
	token        = "a C2 token as issued"
	store        tokenrefresh.Store
	id           = "client id"
	clientSecret = "client secret"
	user         = "user name"
	password     = "password"
	md           *oauth.Metadata  // from oauth.Discover, as the Discovery snippet shows
	client       oauth.ClientAuth // the client's authentication
	key          crypto.Signer    // a private key
	r            *http.Request    // the request a web handler serves
	t            *testing.T       // the test a snippet of a test kit runs in
)

// User is the caller's own type for an API's answer.
type User struct{ Name string }
`

// A snippet is one ```go block of the README.
type snippet struct {
	line int    // of the opening fence, 1-based
	code string // between the fences
}

// The README's Go snippets compile, each as the body of a function of its
// own, with the imports it needs and the preamble's declarations, in a
// module that requires this checkout's modules (the root, redisstore and
// otelobserver, through replace directives); errors name README lines.
// Two liberties only: an elided block "{ ... }" becomes "{ return }", and
// every variable a snippet declares at its top level is used once at its
// end, as the rest of the caller's program would.
func TestREADMESnippetsCompile(t *testing.T) {
	snippets := readSnippets(t, readmePath)
	if len(snippets) == 0 {
		t.Fatalf("%s has no ```go block", readmePath)
	}
	dir := t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "go.mod"), goMod(root))
	writeFile(t, filepath.Join(dir, "preamble.go"), preamble)
	offsets := make([]int, len(snippets))
	for i, s := range snippets {
		src, header, err := wrap(i, s)
		if err != nil {
			t.Errorf("README.md:%d: the snippet does not parse as Go statements: %v", s.line, err)
			continue
		}
		offsets[i] = s.line - header
		writeFile(t, filepath.Join(dir, fmt.Sprintf("snippet%d.go", i)), src)
	}
	if t.Failed() {
		return
	}
	goCommand(t, dir, "mod", "tidy")
	if out, err := command(dir, "build", "./..."); err != nil {
		t.Errorf("README snippets do not compile:\n%s", inREADME(out, offsets))
	}
}

// compilerPos matches a position in a generated snippet file.
var compilerPos = regexp.MustCompile(`\./snippet(\d+)\.go:(\d+)`)

// inREADME rewrites the positions in the go command's output from the
// generated files to README.md's lines: line n of snippet i's file is
// line offsets[i]+n of the README.
func inREADME(out string, offsets []int) string {
	return compilerPos.ReplaceAllStringFunc(out, func(pos string) string {
		m := compilerPos.FindStringSubmatch(pos)
		i, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		if i >= len(offsets) {
			return pos
		}
		return fmt.Sprintf("README.md:%d", offsets[i]+n)
	})
}

// readSnippets returns the ```go blocks of the Markdown file at path.
func readSnippets(t *testing.T, path string) []snippet {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []snippet
	var cur *snippet
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```go":
			cur = &snippet{line: n}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("README.md:%d: a go block is never closed", cur.line)
	}
	return out
}

// wrap returns the source file of snippet i: its code as the body of a
// function, with the imports it uses, and a use of each variable it
// declares at its top level. It also returns the number of lines before
// the code, the fence's line in the README.
func wrap(i int, s snippet) (src string, header int, err error) {
	body := strings.ReplaceAll(s.code, "{ ... }", "{ return }")
	fn := fmt.Sprintf("func snippet%d() {\n%s", i, body)
	f, err := parser.ParseFile(token.NewFileSet(), "", "package snippets\n"+fn+"}\n", 0)
	if err != nil {
		return "", 0, err
	}
	decl := f.Decls[0].(*ast.FuncDecl)
	var uses strings.Builder
	for _, name := range declared(decl.Body.List) {
		fmt.Fprintf(&uses, "\t_ = %s\n", name)
	}
	head := "package snippets\n\n" + imports(decl) + "\n" + fmt.Sprintf("func snippet%d() {\n", i)
	return head + body + uses.String() + "}\n", strings.Count(head, "\n"), nil
}

// declared returns the names the statements declare, other than _.
func declared(stmts []ast.Stmt) []string {
	var names []string
	add := func(id *ast.Ident) {
		if id.Name != "_" && !slices.Contains(names, id.Name) {
			names = append(names, id.Name)
		}
	}
	for _, st := range stmts {
		switch st := st.(type) {
		case *ast.AssignStmt:
			if st.Tok == token.DEFINE {
				for _, e := range st.Lhs {
					add(e.(*ast.Ident))
				}
			}
		case *ast.DeclStmt:
			for _, spec := range st.Decl.(*ast.GenDecl).Specs {
				if vs, ok := spec.(*ast.ValueSpec); ok {
					for _, id := range vs.Names {
						add(id)
					}
				}
			}
		}
	}
	return names
}

// imports returns the import declaration of the packages fn uses.
func imports(fn *ast.FuncDecl) string {
	var paths []string
	ast.Inspect(fn, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				if p, ok := packages[id.Name]; ok && !slices.Contains(paths, p) {
					paths = append(paths, p)
				}
			}
		}
		return true
	})
	slices.Sort(paths)
	var b strings.Builder
	b.WriteString("import (\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "\t%q\n", p)
	}
	b.WriteString(")\n")
	return b.String()
}

// libraryModules are the nested modules, besides the root, whose
// packages a snippet may use: their directories in the checkout.
var libraryModules = []string{"tokenrefresh/redisstore", "tokenrefresh/otelobserver"}

// goMod returns the go.mod of the snippets' module: it requires the root
// module and libraryModules, from the checkout at root.
func goMod(root string) string {
	var b strings.Builder
	b.WriteString("module readme.example/snippets\n\ngo 1.26.0\n\n")
	const zero = "v0.0.0-00010101000000-000000000000"
	fmt.Fprintf(&b, "require github.com/bearer-go/bearer %s\n\nreplace github.com/bearer-go/bearer => %s\n", zero, root)
	for _, dir := range libraryModules {
		path := "github.com/bearer-go/bearer/" + dir
		fmt.Fprintf(&b, "\nrequire %s %s\n\nreplace %s => %s\n", path, zero, path, filepath.Join(root, filepath.FromSlash(dir)))
	}
	return b.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// command runs the go command in dir, outside any workspace.
func command(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// goCommand runs the go command in dir, and fails t if it fails.
func goCommand(t *testing.T, dir string, args ...string) {
	t.Helper()
	if out, err := command(dir, args...); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
