#!/usr/bin/env python3
"""resp3_lines.py FILE: adds `resp3:` lines to the COMMAND INFO / DOCS /
GETKEYSANDFLAGS expectations of a compat case file (redis-compat-tests/), so the
file can run in RESP3 too, and drops its file-level `# resp2-only` marker.

The RESP3 form is derived from the RESP2 expectation by the known shape of
those replies as Redis 7.0 sends them: flags, ACL categories, tips and key
specs become sets, key specs and their begin_search/find_keys/spec become maps,
an empty subcommand list is a set (a non-empty one stays an array), unknown
commands are `_`; COMMAND DOCS becomes nested maps with sets for flags,
doc_flags and history. Cases that run once (HELLO, `# resp2-only`) and
expectations that already have a `resp3:` line are left alone. Run the file
against redis-server in RESP3 afterwards (COMPAT_PROTOCOL=resp3) to check."""
import re, sys

def tokenize(s):
    toks=[]; i=0
    while i < len(s):
        c=s[i]
        if c in ' \t': i+=1; continue
        if c in '[]{},': toks.append(c); i+=1; continue
        if c=='~' and s[i+1]=='[': toks.append('~['); i+=2; continue
        if c=='%' and s[i+1]=='{': toks.append('%{'); i+=2; continue
        if c=='"':
            j=i+1
            while s[j]!='"':
                j+= 2 if s[j]=='\\' else 1
            toks.append(('s',s[i:j+1])); i=j+1; continue
        if c=='(':
            j=s.index(')',i)
            if s[i:j+1]=='(unordered)':
                toks.append('u'); i=j+1; continue
            toks.append(('raw',s[i:j+1])); i=j+1; continue
        m=re.match(r'[:+\-][^,\]\}]*', s[i:])
        toks.append(('raw',m.group(0))); i+=len(m.group(0))
    return toks

def parse(toks, i=0):
    t=toks[i]
    if t=='u':
        v,i=parse(toks,i+1)
        return ('uarr',v[1]), i
    if t=='[':
        items=[]; i+=1
        while toks[i] != ']':
            v,i=parse(toks,i); items.append(v)
            if toks[i]==',': i+=1
        return ('arr',items), i+1
    return t, i+1

def sval(x):  # string value of a bulk token
    return x[1][1:-1] if isinstance(x,tuple) and x[0]=='s' else None

def render(x):
    if isinstance(x,tuple) and x[0] in ('arr','set','uarr'):
        o={'arr':'[','set':'~[','uarr':'(unordered) ['}[x[0]]
        return o+','.join(render(e) for e in x[1])+']'
    if isinstance(x,tuple) and x[0]=='map':
        return '%{'+','.join(render(k)+':'+render(v) for k,v in x[1])+'}'
    return x[1]

def as_set(x): return ('set', x[1]) if x[0] in ('arr','uarr') else x
def pairs(x): return list(zip(x[1][0::2], x[1][1::2]))

def keyspec(ks):
    out=[]
    for k,v in pairs(ks):
        name=sval(k)
        if name=='flags': v=as_set(v)
        elif name in ('begin_search','find_keys'):
            inner=[]
            for k2,v2 in pairs(v):
                if sval(k2)=='spec': v2=('map',pairs(v2))
                inner.append((k2,v2))
            v=('map',inner)
        out.append((k,v))
    return ('map',out)

def info_entry(e):
    if e[0] not in ('arr','uarr'):
        return ('raw','_') if e==('raw','(nil)') else e  # unknown commands
    it=list(e[1])
    it[2]=as_set(it[2]); it[6]=as_set(it[6]); it[7]=as_set(it[7])
    it[8]=('set',[keyspec(k) for k in it[8][1]])
    # Redis 7.0 sends no subcommands as an empty set, some as an array.
    kind='set' if not it[9][1] else ('uarr' if it[9][0]=='uarr' else 'arr')
    it[9]=(kind,[info_entry(s) for s in it[9][1]])
    return ('arr',it)

def doc_args(a):
    out=[]
    for arg in a[1]:
        m=[]
        for k,v in pairs(arg):
            n=sval(k)
            if n=='flags': v=as_set(v)
            elif n=='arguments': v=doc_args(v)
            m.append((k,v))
        out.append(('map',m))
    return ('arr',out)

def doc(d):
    m=[]
    for k,v in pairs(d):
        n=sval(k)
        if n=='doc_flags': v=as_set(v)
        elif n=='history': v=('set',v[1])
        elif n=='arguments': v=doc_args(v)
        elif n=='subcommands': v=('map',[(k2,doc(v2)) for k2,v2 in pairs(v)])
        m.append((k,v))
    return ('map',m)

def convert(cmd, exp):
    words=cmd.split()
    sub=words[1].upper() if len(words)>1 else ''
    if exp.startswith('-') or exp.startswith('(error'): return None
    if '~[' in exp or '%{' in exp: return None
    toks=tokenize(exp)
    if toks[0] not in ('[','u'): return None
    tree,_=parse(toks)
    if sub=='INFO':
        new=('arr',[info_entry(e) for e in tree[1]])
    elif sub=='DOCS':
        new=('map',[(k,doc(v)) for k,v in pairs(tree)])
    elif sub=='GETKEYSANDFLAGS':
        new=('arr',[('arr',[e[1][0],as_set(e[1][1])]) for e in tree[1]])
    else:
        return None
    r=render(new)
    return r if r!=exp else None

path=sys.argv[1]
lines=open(path).read().split('\n')
# Split into a header and cases; a case that sends HELLO or is resp2-only
# runs once, so it gets no resp3 lines.
out=[]; added=0; i=0
first_case=next((k for k,l in enumerate(lines) if l.startswith('===')), len(lines))
header=[l for l in lines[:first_case] if not l.startswith('# resp2-only')]
out.extend(header)
i=first_case
while i < len(lines):
    j=i+1
    while j < len(lines) and not lines[j].startswith('==='):
        j+=1
    case=lines[i:j]
    once=any(l.lstrip().startswith('# resp2-only') for l in case) or any(re.search(r'>\s*hello\b', l, re.I) for l in case)
    k=0
    while k < len(case):
        l=case[k]; out.append(l)
        m=re.match(r'^(\w*)> (COMMAND .*)$', l, re.I)
        if m and k+1 < len(case) and not once:
            exp=case[k+1]; out.append(exp); k+=2
            if k < len(case) and case[k].startswith('resp3:'):
                continue
            r=convert(m.group(2), exp.strip())
            if r: out.append('resp3: '+r); added+=1
            continue
        k+=1
    i=j
open(path,'w').write('\n'.join(out))
print(path, 'resp3 lines added:', added)
