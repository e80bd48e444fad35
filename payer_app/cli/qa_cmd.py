"""``payer-app qa merge SHARD.json... --summary OUT.json [--junit OUT.xml] [--html OUT.html]``.

Joins the ``--summary`` files of a scan split into CI shards (``payer-app scan FOLDER --shard K/N
--summary sK.json``) into the summary, JUnit file and HTML page one unsharded scan would have written
(but for the timings). Prints the verdict line; exits as the whole scan would: 0 every file passed,
1 a check failed, 4 only unreadable inputs, 2 a summary file that cannot be merged (named, one line)
or an output that cannot be written.
"""

from __future__ import annotations

from payer_app.cli.exits import EXIT_USAGE, UsageError
from payer_app.cli.options import add_command, add_command_group


def register(sub) -> None:
    actions = add_command_group(sub, "qa", "QA kit: join the reports of a scan split into CI shards",
                                "QA kit actions. merge: join the --summary files of a sharded scan.")
    merge = add_command(actions, "merge", "join shards' --summary files into one summary, JUnit file and HTML page",
                        "Join the --summary files of `payer-app scan FOLDER --shard K/N` jobs (all N of them) into "
                        "the summary, JUnit XML and HTML report of one whole run. Exit 0 every file passed, 1 a "
                        "check failed, 4 some input could not be read (and every other file passed), 2 a summary "
                        "that cannot be merged or an output that cannot be written.", func=run_merge)
    merge.add_argument("shards", nargs="+", metavar="SHARD.json", help="the shards' --summary files")
    merge.add_argument("--summary", required=True, metavar="FILE", help="where to write the merged summary")
    merge.add_argument("--junit", metavar="FILE", help="also write the JUnit XML of the whole run")
    merge.add_argument("--html", metavar="FILE", help="also write the HTML report of the whole run")


def run_merge(args) -> int:
    from payer_app.core.display_text import visible
    from payer_app.core.json_output import dumps
    from payer_app.qa.batch import MAX_PASS_PICTURES
    from payer_app.qa.merge import MergeError, batch_of, merge_summaries
    from payer_app.qa.report_files import ReportPathError, check_report_paths, write_report

    try:
        check_report_paths({"--summary": args.summary, "--junit": args.junit, "--html": args.html})
        summary = merge_summaries(args.shards, MAX_PASS_PICTURES)
    except (ReportPathError, MergeError) as exc:
        raise UsageError(f"qa merge: {exc}") from exc
    written = write_report(args.summary, dumps(summary, indent=2) + "\n", "summary", "qa merge")
    if args.junit or args.html:
        batch = batch_of(summary, f"payer-app scan {visible(summary['source'], 200)}")
        elapsed = summary["timings"]["elapsed_s"]
        if args.junit:
            from payer_app.qa.junit_report import junit_xml

            written &= write_report(args.junit, junit_xml(batch, elapsed), "JUnit report", "qa merge")
        if args.html:
            from payer_app.qa.html_report import html_report

            written &= write_report(args.html, html_report(batch, elapsed), "HTML report", "qa merge")
    print(summary["verdict_line"])
    return summary["exit_code"] if written else EXIT_USAGE
