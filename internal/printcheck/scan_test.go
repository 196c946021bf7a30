package printcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// markers are the types that hold a secret, written as they appear in the
// SDK's source: a field of one of them, or of a type that holds one, makes
// its struct hold a secret.
var markers = map[string]bool{
	"secret.String": true, "secret.Token": true, "secret.Signer": true, "secret.Value": true,
	"oauth2.Token": true, "crypto.Signer": true, "redact.Registry": true,
	"bearer.TokenSource": true, "TokenSource": true, // a source hands out tokens
}

// secretName matches the names of plain string fields that hold a secret
// by their name: such a field must be a secret.Value instead, and the
// matrix shows whether it prints.
var secretName = regexp.MustCompile(`(?i)secret|passw|passwd|token$|credential|privatekey|apikey|api_key`)

// publicPackages returns the directories of the SDK's public packages,
// relative to the module root: every package but internal/, examples/,
// cmd/ and test kits' own tests.
func publicPackages(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		base := d.Name()
		if rel != "." && (strings.HasPrefix(base, ".") || base == "internal" || base == "examples" || base == "cmd" || base == "testdata") {
			return filepath.SkipDir
		}
		if rel != "." {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // a nested module: its own matrix
			}
		}
		if m, _ := filepath.Glob(filepath.Join(path, "*.go")); len(m) > 0 {
			dirs = append(dirs, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// structType is an exported struct type as the source declares it.
type structType struct {
	pkg, name string
	fields    []*ast.Field
}

// secretHolders returns "pkg.Type" for every exported struct type of the
// public packages below root that holds a secret, directly or through the
// types of its fields.
func secretHolders(t *testing.T, root string) []string {
	t.Helper()
	types := map[string]*structType{}
	for _, dir := range publicPackages(t, root) {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			collectStructs(f, types)
		}
	}
	holds := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for key, st := range types {
			if !holds[key] && st.holds(holds) {
				holds[key], changed = true, true
			}
		}
	}
	var out []string
	for key := range holds {
		if ast.IsExported(types[key].name) {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

func collectStructs(f *ast.File, types map[string]*structType) {
	pkg := f.Name.Name
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			if s, ok := ts.Type.(*ast.StructType); ok {
				types[pkg+"."+ts.Name.Name] = &structType{pkg: pkg, name: ts.Name.Name, fields: s.Fields.List}
			}
		}
	}
}

// holds reports whether one of st's fields holds a secret, given the
// types already known to.
func (st *structType) holds(known map[string]bool) bool {
	for _, f := range st.fields {
		if typeHolds(st.pkg, f.Type, known) {
			return true
		}
		if isString(f.Type) {
			for _, n := range f.Names {
				if secretName.MatchString(n.Name) {
					return true
				}
			}
		}
	}
	return false
}

// typeHolds reports whether a field of type e, declared in package pkg,
// holds a secret.
func typeHolds(pkg string, e ast.Expr, known map[string]bool) bool {
	switch e := e.(type) {
	case *ast.StarExpr:
		return typeHolds(pkg, e.X, known)
	case *ast.ArrayType:
		return typeHolds(pkg, e.Elt, known)
	case *ast.MapType:
		return typeHolds(pkg, e.Key, known) || typeHolds(pkg, e.Value, known)
	case *ast.IndexExpr: // a generic instantiation, such as atomic.Pointer[state]
		return typeHolds(pkg, e.X, known) || typeHolds(pkg, e.Index, known)
	case *ast.Ident:
		return markers[e.Name] && pkg == "bearer" || known[pkg+"."+e.Name]
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		if !ok {
			return false
		}
		name := x.Name + "." + e.Sel.Name
		return markers[name] || known[name]
	case *ast.StructType:
		return (&structType{pkg: pkg, fields: e.Fields.List}).holds(known)
	}
	return false
}

func isString(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	if ok {
		return id.Name == "string"
	}
	at, ok := e.(*ast.ArrayType)
	if ok {
		id, ok := at.Elt.(*ast.Ident)
		return ok && id.Name == "byte"
	}
	return false
}
