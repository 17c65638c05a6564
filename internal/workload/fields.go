package workload

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Field is one option of an options type, as a scenario names it.
type Field struct {
	// Name is the key a scenario writes: the field's yaml tag, or its Go
	// name in lower case.
	Name string
	// Index is the field's index path in the struct (reflect.FieldByIndex).
	Index []int
	Type  reflect.Type
}

// Fields lists the options of the struct type t as a scenario names them:
// exported fields, by their yaml tag or their name in lower case, with
// the fields of an embedded struct without a tag in line. Fields tagged
// yaml:"-" are left out.
func Fields(t reflect.Type) []Field {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []Field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if tag == "-" {
			continue
		}
		if sf.Anonymous && tag == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Struct {
				for _, f := range Fields(ft) {
					f.Index = append([]int{i}, f.Index...)
					out = append(out, f)
				}
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		name := tag
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		out = append(out, Field{Name: name, Index: []int{i}, Type: sf.Type})
	}
	return out
}

// FieldByPath finds the option at the dotted path ("thumbnail.method") in
// the options type t.
func FieldByPath(t reflect.Type, path string) (Field, error) {
	var f Field
	cur := t
	for _, name := range strings.Split(path, ".") {
		for cur.Kind() == reflect.Pointer {
			cur = cur.Elem()
		}
		found := false
		for _, x := range Fields(cur) {
			if x.Name == name {
				f = Field{Name: path, Index: append(f.Index, x.Index...), Type: x.Type}
				found = true
				break
			}
		}
		if !found {
			return Field{}, fmt.Errorf("no option %q in %s", name, t)
		}
		cur = f.Type
	}
	return f, nil
}

// Value returns the option at path in the options opts points to,
// settable.
func Value(opts any, path string) (reflect.Value, error) {
	v := reflect.ValueOf(opts).Elem()
	for _, name := range strings.Split(path, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		found := false
		for _, x := range Fields(v.Type()) {
			if x.Name == name {
				v = v.FieldByIndex(x.Index)
				found = true
				break
			}
		}
		if !found {
			return reflect.Value{}, fmt.Errorf("no option %q in %s", name, v.Type())
		}
	}
	return v, nil
}

// deepCopy returns a copy of v sharing no slice, map or pointer with it.
func deepCopy(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	copyInto(out, v)
	return out
}

func copyInto(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		copyInto(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			copyInto(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			e := reflect.New(src.Type().Elem()).Elem()
			copyInto(e, it.Value())
			m.SetMapIndex(it.Key(), e)
		}
		dst.Set(m)
	case reflect.Struct:
		dst.Set(src) // unexported fields as they are
		for i := range src.NumField() {
			if dst.Field(i).CanSet() {
				copyInto(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Array:
		for i := range src.Len() {
			copyInto(dst.Index(i), src.Index(i))
		}
	default:
		dst.Set(src)
	}
}

// Written returns opts (a value or a pointer to one) as a scenario writes
// it: structs as mappings keyed by the options' names, durations as Go
// writes them ("50ms"), for the record of a run.
func Written(opts any) any {
	return written(reflect.ValueOf(opts))
}

func written(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type() == reflect.TypeFor[time.Duration]() {
		return time.Duration(v.Int()).String()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return written(v.Elem())
	case reflect.Struct:
		if m, ok := v.Interface().(interface{ MarshalText() ([]byte, error) }); ok {
			if b, err := m.MarshalText(); err == nil {
				return string(b)
			}
		}
		out := map[string]any{}
		for _, f := range Fields(v.Type()) {
			out[f.Name] = written(v.FieldByIndex(f.Index))
		}
		return out
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return []any{}
		}
		out := make([]any, v.Len())
		for i := range v.Len() {
			out[i] = written(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		it := v.MapRange()
		for it.Next() {
			out[fmt.Sprint(it.Key().Interface())] = written(it.Value())
		}
		return out
	}
	if v.CanInterface() {
		return v.Interface()
	}
	return nil
}
