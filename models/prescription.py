"""Whether a text prescribes a method in an area the plan leaves to the vendor.

Source: the second way outsourcing fails, "the client pays for know-how, then dictates
methods". An expectation states an outcome; naming a word of an area in
`authority.vendor_decides` is not wrong in itself. The rule, as the README states it:

A clause prescribes a method when it ties a word of a vendor area (a tool, the vendor's
people, a method) to how the work is done:
- a word for who and how many do the work, wherever it stands: "FTE", "headcount",
  "hiring", "onshore", "offshore", "team size", "staffed", and "staff" or "contractors"
  when counted ("3 staff"), qualified ("dedicated staff") or a verb ("staff the desk");
- any area word after a word of use or means ("use", "kept", "follow", "implemented",
  "use of", "with", "via", "using", "through", "by"); a tool also after "in" or "on"
  ("tickets kept in Jira");
- any area word followed by "used", "based", "required", "mandatory" or "only" ("Jira
  must be used", "Terraform-based", "ServiceNow only").

It does not prescribe when the word is:
- how the result is measured: a tool or method after "measured", "monitored",
  "reported", "according to" ... in the clause ("measured monthly by the uptime
  monitoring tool");
- the people served: "staff" or "contractors" neither counted, qualified nor a verb
  ("client staff", "for staff", "staff augmentation");
- the client's own ("the client's ServiceNow", "our Jira"), unless the clause, before the
  word, tells the vendor to use it: "must", "shall", "will", "should", "required", the
  vendor named, or a clause that starts with an order ("Use ...", "Record ...");
- what the service is about: "platform availability", "Jira uptime", "changes
  implemented within 5 days".

A clause ends at punctuation and at "and", "or", "but", "which", "where" (models.clauses).
"""

from __future__ import annotations

from collections.abc import Mapping

from models.clauses import Word, clauses

_MEASURE = frozenset(
    "measure measured measures measuring measurement monitor monitored monitors monitoring "
    "reported reporting sampled sampling calculated counted timed polled polling probed "
    "surveyed audited observed verified checked shown according evidenced".split()
)
_USE = frozenset(
    "use uses used using adopt adopts adopted adopting follow follows followed following "
    "apply applies applied applying employ employs employed keep keeps kept keeping log logs "
    "logged logging track tracks tracked tracking record records recorded recording store "
    "stores stored storing manage manages managed managing implement implements implemented "
    "implementing deploy deploys deployed deploying build builds built building configure "
    "configured automate automated run runs running maintain maintained install installed "
    "migrate migrated host hosted written scripted provide provides provided".split()
)
_MEANS = frozenset({"with", "via", "using", "through", "by"})
_PLACE = frozenset({"in", "into", "on", "onto", "inside"})
# Words that start a phrase about something else ("availability of the platform").
_BARRIER = frozenset(
    "of for from within per at about than across after before during under over against "
    "between when if unless until".split()
)
_USE_NOUNS = frozenset({"use", "usage", "adoption"})  # "use of Jira"
_AFTER = frozenset({"used", "based", "required", "mandatory", "compulsory", "only"})
_AUX = frozenset({"is", "are", "be", "been", "being", "must", "shall", "will", "should", "to"})
_ORDER = frozenset(
    "must shall will should required require requires need needs mandatory compulsory "
    "vendor vendor's vendors supplier supplier's provider provider's".split()
)
_IMPERATIVE = frozenset(
    "use keep log record track store follow adopt apply employ implement deploy build "
    "configure automate run manage maintain install migrate host staff hire provide".split()
)
_CLIENT = frozenset(
    {"client", "client's", "clients", "clients'", "customer", "customer's", "customers", "our"}
)
_TOOLS = frozenset({"tool", "jira", "servicenow", "zendesk", "terraform", "ansible"})
_STAFFING = frozenset(
    "fte ftes headcount hire hiring hired onshore offshore nearshore staffed staffing".split()
) | {"team size"}
_PEOPLE = frozenset({"staff", "staffs", "contractor", "contractors"})
_NUMBERS = frozenset("one two three four five six seven eight nine ten eleven twelve".split())
_QUALIFIED = frozenset(
    "dedicated named additional extra more fewer minimum maximum senior junior certified "
    "onsite no".split()
)
_DETERMINERS = frozenset("the a an each every all this that these those it them our its".split())


def prescribed(text: str, markers: Mapping[str, frozenset[str]]) -> tuple[str, str] | None:
    """The first area whose words `text` ties to how the work is done, with the phrase as
    written (e.g. 'kept in Jira'), or None. `markers` maps an area to its words' stems."""
    for clause in clauses(text):
        stems = [w.stem for w in clause]
        for i in range(len(clause)):
            for area, words in markers.items():
                for marker in sorted(words):
                    parts = marker.split()
                    if stems[i : i + len(parts)] != parts:
                        continue
                    start = _tie(clause, i, i + len(parts) - 1)
                    if start is not None:
                        return area, text[clause[start].start : clause[i + len(parts) - 1].end]
    return None


def _tie(clause: list[Word], i: int, j: int) -> int | None:
    """Where the words that tie clause[i..j] to the work start; None when nothing does."""
    word = clause[i]
    if word.text in _PEOPLE and not _counted(clause, i):
        return None
    staffing = {word.text, word.stem, " ".join(w.stem for w in clause[i : j + 1])}
    if staffing & _STAFFING or word.text in _PEOPLE:
        counts = word.text in _PEOPLE or word.stem in {"fte", "ftes"}
        start: int | None = i - 1 if counts and i and _is_count(clause[i - 1].text) else i
    elif any(w.text in _MEASURE for w in clause[:i]):
        return None
    else:
        start = _cue(clause, i, tool=word.stem in _TOOLS)
        if start is None and _required_after(clause, j):
            start = i
    if start is None or (_clients(clause, i) and not _ordered(clause, i)):
        return None
    return start


def _cue(clause: list[Word], i: int, *, tool: bool) -> int | None:
    """The word of use or means before clause[i] that governs it, if any."""
    for k in range(i - 1, -1, -1):
        text = clause[k].text
        if text in _USE or text in _MEANS or (tool and text in _PLACE):
            # The phrase starts at the verb it follows: "kept in Jira", not "in Jira".
            return k - 1 if k and text not in _USE and clause[k - 1].text in _USE else k
        if text == "of" and k and clause[k - 1].text in _USE_NOUNS:
            return k - 1
        if text in _BARRIER:
            return None
    return None


def _required_after(clause: list[Word], j: int) -> bool:
    """Whether the words after clause[j] require it: 'Jira must be used', 'Jira only'."""
    for word in clause[j + 1 :]:
        if word.text not in _AUX:
            return word.text in _AFTER
    return False


def _counted(clause: list[Word], i: int) -> bool:
    """Whether people are counted or qualified ('3 staff', 'dedicated staff'), or 'staff' is
    a verb ('staff the desk', 'will staff 3 engineers')."""
    if i and (_is_count(clause[i - 1].text) or clause[i - 1].text in _QUALIFIED):
        return True
    after = clause[i + 1].text if i + 1 < len(clause) else ""
    is_object = after in _DETERMINERS or _is_count(after)
    return clause[i].text == "staff" and is_object and (i == 0 or clause[i - 1].text in _AUX)


def _clients(clause: list[Word], i: int) -> bool:
    """Whether the thing at clause[i] is the client's own ('the client's Jira', 'our tool')."""
    for word in reversed(clause[:i]):
        if word.text in _CLIENT:
            return True
        if word.text in _USE | _MEANS | _PLACE | _BARRIER | _MEASURE:
            return False
    return False


def _ordered(clause: list[Word], i: int) -> bool:
    """Whether the clause, before clause[i], tells the vendor what to do."""
    before = [w.text for w in clause[:i]]
    if before and before[0] in _IMPERATIVE:
        return True
    if any(text in _ORDER for text in before):
        return True
    pairs = zip(before, before[1:], strict=False)
    return any(a in {"has", "have", "is", "are"} and b == "to" for a, b in pairs)


def _is_count(text: str) -> bool:
    return text.isdigit() or text in _NUMBERS
