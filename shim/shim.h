/* SPDX-License-Identifier: MIT */
/*
 * The multicall shim. In a hybrid session, the shim layer holds it at the
 * paths of the target's own build tools (/usr/bin/aarch64-linux-gnu-gcc-12,
 * /usr/bin/make, ...), hard links of one file below the session's upper. Each run decides, from the
 * path it was started as and its arguments, what to execute:
 *   - the native x86-64 program at the same path in the toolchain layer
 *     (/.xhybrid/toolchain/usr/bin/...), with environment or argument fixups so
 *     that it behaves as the target's program would, or
 *   - the target's original program (/.xhybrid/orig/usr/bin/...), which runs
 *     under the emulator: for compiler probes whose answers must be the
 *     target's, for tools named in XHYBRID_EMULATE, and for link steps that
 *     load a target plugin.
 * Everything here is pure (no exec, no I/O) so that argv rewrites are unit
 * tested as tables; shim/main.c does the I/O.
 */
#ifndef XH_SHIM_H
#define XH_SHIM_H

#include <stdbool.h>
#include <stddef.h>

#include "trace.h"
#include "xh-paths.h"
#include "xh-util.h"

enum xh_shim_strategy {
        XH_SHIM_NATIVE,    /* run the native program as is */
        XH_SHIM_GCC,       /* compiler driver: target include and library dirs, probes emulated */
        XH_SHIM_BINUTIL,   /* binutils: emulated only when loading a target plugin */
        XH_SHIM_PKGCONFIG, /* pkgconf with the target's search path and system dirs */
        XH_SHIM_BASH,      /* bash reporting the target's HOSTTYPE and MACHTYPE */
        /*
         * uname, arch, hostname: what they print comes from uname(2), which
         * the session's supervisor answers with the target's machine; where
         * uname(2) gives the host's (no supervisor: a container that allows
         * no user namespace), the target's program, emulated.
         */
        XH_SHIM_IDENTITY,
        /*
         * sort: native, except a general numeric sort (-g, a key with g),
         * which compares in long double, whose format is the machine's.
         */
        XH_SHIM_SORT,
};

enum xh_shim_lang {
        XH_LANG_NONE,
        XH_LANG_C,
        XH_LANG_CXX,
};

struct xh_shim_tool {
        const char *name; /* canonical name: gcc, g++, as, make ... */
        enum xh_shim_strategy strategy;
        enum xh_shim_lang lang; /* default language of a compiler driver */
        /*
         * The cross tool that stands for it in a native-cross session:
         * /usr/local/bin/NAME -> /usr/bin/TRIPLET-CROSS (NULL: none).
         */
        const char *cross;
        /* Arguments that print its version, which names its build machine: emulated. */
        const char *const *version_args;
        /* Always behind the shim, never the native program in its place, so
           that XHYBRID_EMULATE set inside a session still reaches it. */
        bool never_direct;
};

/* The sorted tool table; *n receives its length. */
const struct xh_shim_tool *xh_shim_table(size_t *n);
/* Look a canonical name up (bsearch); NULL when unknown. */
const struct xh_shim_tool *xh_shim_lookup(const char *name);
/* Every name of the table, ", "-joined (for messages). The caller frees it. */
char *xh_shim_tool_names(void);
/*
 * The names of an XHYBRID_EMULATE value (separated by commas, spaces or
 * colons) that are neither in the table nor "all" nor a program name that
 * may run native (xh_native_may_name: the package-derived set depends on
 * the root); an empty vector when every name is known. The caller frees it.
 */
char **xh_shim_unknown_tools(const char *list);
/*
 * The canonical name of a program file name: the triplet prefix and a
 * version suffix are dropped ("aarch64-linux-gnu-gcc-12" -> "gcc",
 * "ld.bfd" stays). The caller frees the result.
 */
char *xh_shim_canonical(const char *basename, const char *triplet);

/*
 * The native set beyond the table: programs of these packages (NULL-ended)
 * run native, as copies of the toolchain layer's program, when the
 * toolchain layer has the same path built from the same source version
 * (session/toolchain.c), unless denied.
 */
const char *const *xh_native_packages(void);
/* A program that never runs native by accident, and why. */
struct xh_native_deny {
        const char *name; /* a program name; "dpkg*": every name it begins */
        const char *reason;
};
const struct xh_native_deny *xh_native_deny_table(size_t *n);
/* The reason a program never runs native unless overridden, or NULL. */
const char *xh_native_denied(const char *name);
/* Whether name can be a program name ([A-Za-z0-9_.+-[], not "." or ".."). */
bool xh_native_name_valid(const char *name);
/*
 * Whether a list of tools (emulate, XHYBRID_EMULATE) may name it beside the
 * table's tools: a program name that may run native, neither denied, nor
 * "all", nor a table tool's versioned name ("gcc-12").
 */
bool xh_native_may_name(const char *name);

/* The session's shim configuration (XH_SHIM_CONF, "key=value" lines). */
struct xh_shim_config {
        char *triplet;    /* aarch64-linux-gnu */
        char *gcc_libdir; /* the target gcc's own directory: /usr/lib/gcc/TRIPLET/12 */
        char *hosttype;   /* bash HOSTTYPE inside: aarch64 */
        char *machtype;   /* bash MACHTYPE inside: aarch64-unknown-linux-gnu */
        char **emulate;   /* tools the session always emulates */
        /*
         * Programs beyond the table that run native as they are (the
         * package-derived set): behind the shim only in a traced session.
         */
        char **native;
        /*
         * The compile cache's program (ccache) when the session has the
         * cache on, else NULL: native compiles and links run through it.
         */
        char *ccache;
        /*
         * Distributed compiles (--distribute), else all NULL: the
         * toolchain layer's distcc, the identity of its compiler
         * (xh_distcc_compilers) and the DISTCC_HOSTS value. Native
         * compiles run as "distcc XH_RUN_DIR/names/xh-ID-DRIVER ARGS...";
         * with the cache on, ccache runs the shim itself as its
         * prefix_command, which does the same (xh_shim_distcc_prefix).
         */
        char *distcc;
        char *distcc_id;
        char *distcc_hosts;
        /*
         * Tracing sessions only (run --trace), else NULL: the trace file
         * (XH_TRACE_FILE) every run appends its record to; the emulator as
         * seen inside (XH_EMULATOR_PATH), which the shim's binfmt mode runs;
         * keep_argv0 "yes" when the session's binfmt entry has the P flag
         * (the binfmt mode is then given the program's own argv[0]).
         */
        char *trace;
        char *emulator;
        char *keep_argv0;
        /*
         * Not read from the file: set by the shim when uname(2) answers it
         * with the machine it was built for (no supervisor in the session).
         */
        bool host_machine;
};

int xh_shim_config_parse(const char *text, struct xh_shim_config *c, xh_error *err);
/* Write a configuration in the format xh_shim_config_parse reads. */
char *xh_shim_config_format(const struct xh_shim_config *c);
void xh_shim_config_clear(struct xh_shim_config *c);

/* What to execute. */
struct xh_shim_exec {
        char *path;    /* absolute path to execute */
        char **argv;   /* full argument vector */
        char **setenv; /* NAME=VALUE pairs to set when NAME is not already set */
        char **putenv; /* NAME=VALUE pairs to set whatever NAME was */
        /* Variables whose names start with this are removed first (NULL: none). */
        const char *unset_prefix;
        bool emulated;    /* the target's original program */
        const char *why;  /* short reason, for the trace */
        bool needs_facts; /* the caller must supply facts about the target (see below) */
        /*
         * A compiler probe whose answer the caller may keep in the facts
         * cache and give again (xh_shim_probe_cacheable): emulated is set too.
         */
        bool keep_answer;
        /*
         * When set, the caller creates the symlink link_at -> link_to before
         * the exec (the driver's argv[0]: gcc finds its own parts through it
         * and names itself in messages as the user called it).
         */
        char *link_at;
        char *link_to;
};

/*
 * Facts about the target's own programs, asked from them (emulated) once per
 * session and cached: the compiler's include search lists and pkg-config's
 * search path and system dirs.
 */
struct xh_shim_facts {
        char **inc_c;   /* gcc -E -v -x c: the #include <...> list */
        char **inc_cxx; /* the same for c++ */
        char *pc_path;  /* pkgconf --dump-personality: DefaultSearchPaths, ':'-joined */
        char *pc_libs;  /* SystemLibraryPaths */
        char *pc_incs;  /* SystemIncludePaths */
};

/*
 * Decide what to run for a shim started as exe (the path of the shimmed file
 * inside the session, e.g. /usr/bin/aarch64-linux-gnu-gcc-12) with argv.
 * emulate_env is $XHYBRID_EMULATE (may be NULL). facts may be NULL: then a
 * run that needs them sets out->needs_facts and returns 0 with no path, and
 * the caller asks again with the facts filled in.
 */
int xh_shim_decide(const struct xh_shim_config *c, const char *exe, char *const *argv,
                   const char *emulate_env, const struct xh_shim_facts *facts,
                   struct xh_shim_exec *out, xh_error *err);
void xh_shim_exec_clear(struct xh_shim_exec *e);
/*
 * The shim started as itself (XH_SHIM_PATH) with argv "SHIM COMPILER
 * ARGS...": ccache's prefix_command in a session with the cache and distcc,
 * run on a cache miss. driver is what COMPILER (a link in XH_RUN_DIR/names)
 * leads to, the toolchain layer's driver; the compile goes through distcc
 * under its served name, as without the cache. -EINVAL without distcc.
 */
int xh_shim_distcc_prefix(const struct xh_shim_config *c, const char *driver, char *const *argv,
                          struct xh_shim_exec *out, xh_error *err);

/*
 * The facts as kept in the profile's cache (a facts-HASH file): one line per
 * value, "c:DIR" and "c++:DIR" for each include dir in order, then
 * "pc_path:", "pc_libs:" and "pc_incs:" with their ':'-joined value when set.
 * The caller frees the result.
 */
char *xh_shim_facts_format(const struct xh_shim_facts *f);
/*
 * Read facts in that format into *f (which is overwritten). Lines of other
 * kinds are ignored. False, with *f empty, when the text holds neither an
 * include dir nor a pkg-config search path: no facts to use.
 */
bool xh_shim_facts_parse(const char *text, struct xh_shim_facts *f);

/*
 * Compiler probes answered from the facts cache. A probe is cacheable when
 * every argument is one of a fixed list of questions about the compiler
 * itself (-v, --version, -dumpmachine, -dumpspecs, -print-search-dirs,
 * -print-multiarch ...), whose answers depend on nothing but the driver, its
 * installation and a few variables of the environment, and argv[0] (which
 * the driver names in them and finds its installation through) is a name or
 * an absolute path. Probes that look files up (-print-file-name=,
 * -print-prog-name=, -print-libgcc-file-name), read files named in
 * arguments, or print what depends on the terminal (--help) are not.
 */
bool xh_shim_probe_cacheable(char *const *argv);
/*
 * The key of a probe's answer, as text: exe (the path the shim runs as),
 * ids ("NAME=VALUE" identities of the target's program and installation,
 * which the caller takes from the file system: see shim/main.c), every
 * argument, argv[0] included, and the variables of envp that change the
 * answer (PATH, LANG, LANGUAGE, COMPILER_PATH, LIBRARY_PATH and every LC_*,
 * GCC_*, COLLECT_* and QEMU_* one; the first of a name counts, as for
 * getenv). The caller frees it.
 */
char *xh_shim_probe_key(const char *exe, char *const *ids, char *const *argv, char *const *envp);

/* A probe's answer: what it wrote on standard output and error, and its exit status. */
struct xh_shim_answer {
        char *out;
        size_t out_len;
        char *err;
        size_t err_len;
        int status; /* 0..255 */
};
/* Answers larger than this are not kept. */
#define XH_SHIM_ANSWER_MAX (1 << 20)
/*
 * An entry of the facts cache (a probe-HASH file): the line
 * "xhybrid-probe 1 STATUS KEYLEN OUTLEN ERRLEN", then the key, the output and
 * the error output, byte for byte. *len receives its size. The caller frees it.
 */
char *xh_shim_answer_format(const char *key, const struct xh_shim_answer *a, size_t *len);
/*
 * Read an entry of len bytes into *a. False, with *a empty, when it is not
 * one in that format (truncated, trailing bytes, a bad number, a status out
 * of range, an answer over XH_SHIM_ANSWER_MAX) or was kept for another key.
 */
bool xh_shim_answer_parse(const char *data, size_t len, const char *key, struct xh_shim_answer *a);
void xh_shim_answer_clear(struct xh_shim_answer *a);

/* Parse the include search list out of "gcc -E -v" output. */
char **xh_shim_parse_incdirs(const char *gcc_v_output);
/* Take "KEY: a b c" out of "pkgconf --dump-personality" output, ':'-joined; NULL if absent. */
char *xh_shim_parse_personality(const char *dump, const char *key);
void xh_shim_facts_clear(struct xh_shim_facts *f);

#endif
