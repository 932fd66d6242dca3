/**
 * The page's stylesheet, served as /assets/app.css (the CSP allows no inline
 * style). Kept in a module so the build carries it without a copy step.
 */
export const APP_CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #4a5562; --line: #c9d1da; --accent: #0b57d0; --bad: #a4161a; --ok: #1a6b34; --bg-soft: #f3f5f8; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; }
header.top { background: #0f2742; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 2rem; align-items: baseline; flex-wrap: wrap; }
header.top strong { font-size: 1.1rem; }
header.top nav a { color: #fff; margin-right: 1.2rem; text-decoration: underline; text-underline-offset: 3px; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
main { padding: 1rem 1.2rem 3rem; max-width: 80rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.6rem 0 .6rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid var(--line); padding: .4rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); }
.muted { color: var(--muted); }
.problem, .overdue, .error { color: var(--bad); font-weight: 600; }
.ok { color: var(--ok); font-weight: 600; }
.notice { border-left: 4px solid var(--ok); background: #eef7f0; padding: .5rem .8rem; }
.conflict, .failure { border-left: 4px solid var(--bad); background: #fbeeee; padding: .5rem .8rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin: 0 0 1rem; }
form.inline { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin: .5rem 0; }
label { display: flex; flex-direction: column; font-size: .9rem; color: var(--muted); }
label.check { flex-direction: row; gap: .3rem; align-items: center; }
input, select, button { font: inherit; padding: .3rem .5rem; border: 1px solid #6b7785; border-radius: 4px; color: var(--fg); background: #fff; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
:focus-visible { outline: 3px solid #f4b400; outline-offset: 2px; }
pre.diff { background: var(--bg-soft); padding: .6rem; overflow-x: auto; border: 1px solid var(--line); }
pre.diff .add { color: var(--ok); font-weight: 600; }
pre.diff .del { color: var(--bad); font-weight: 600; }
code.hash { word-break: break-all; }
`;
