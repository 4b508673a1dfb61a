"""The catalogue of problem codes: every ``Problem`` names one, so a message can change but its code stays.

Codes are grouped by hundreds:

* ``SCR0xx`` reading a file: it cannot be opened, decoded, parsed, or is over a size limit;
* ``SCR1xx`` the shape of a file: keys missing or unknown, values of the wrong type or out of order;
* ``SCR2xx`` a definition's logic: references, comparisons, cycles, rules that can never fire;
* ``SCR3xx`` a response: its envelope and its answers;
* ``SCR4xx`` HL7 FHIR resources read or written;
* ``SCR5xx`` case files run by ``screening test`` and ``screening evaluate``;
* ``SCR6xx`` clinic settings and the server's settings;
* ``SCR7xx`` writing reports and exports;
* ``SCR8xx`` command-line use;
* ``SCR9xx`` staff accounts, API tokens and the terminal intake.

A code, once given out, keeps its meaning; a retired code is not used again. ``docs/error-codes.md`` lists them all;
it is written by ``python -m screening.error_codes > docs/error-codes.md`` and a test keeps it in step.
"""

from __future__ import annotations

from enum import Enum, unique


@unique
class ErrorCode(Enum):
    """One kind of problem: a stable code such as ``SCR101`` and a one-line title."""

    code: str
    title: str

    def __new__(cls, code: str, title: str) -> ErrorCode:
        member = object.__new__(cls)
        member._value_ = code
        member.code = code
        member.title = title
        return member

    def __str__(self) -> str:
        return self.code

    # reading a file
    FILE_UNREADABLE = ("SCR001", "The file cannot be opened or read")
    NOT_UTF8 = ("SCR002", "The file is not UTF-8 text")
    TOO_LARGE = ("SCR003", "The file is larger than its kind of document may be")
    TOO_DEEP = ("SCR004", "The document is nested deeper than its kind of document may be")
    TOO_MANY_VALUES = ("SCR005", "The document holds more keys and values than its kind may (aliases expanded)")
    NUMBER_TOO_LONG = ("SCR006", "A number has more digits than any answer or setting needs")
    ALIAS_LOOP = ("SCR007", "A YAML alias contains itself and never ends")
    YAML_SYNTAX = ("SCR008", "The text is not valid YAML")
    EMPTY_FILE = ("SCR009", "The file is empty")
    NOT_A_MAPPING = ("SCR010", "The top level of the document is not a mapping of keys")

    # the shape of a file
    KEY_MISSING = ("SCR101", "A required key is missing")
    KEY_UNKNOWN = ("SCR102", "A key is not one the format knows")
    BAD_ID = ("SCR103", "An id is not snake_case")
    BAD_VERSION = ("SCR104", "A version is not MAJOR.MINOR.PATCH")
    NOT_TEXT = ("SCR105", "A value must be text")
    UNKNOWN_KIND = ("SCR106", "An item kind or condition form is not one of those listed")
    BAD_VALUE = ("SCR107", "A value does not have the type or form its key needs")
    RANGE_REVERSED = ("SCR108", "A minimum is above its maximum")
    AT_LEAST_TOO_MANY = ("SCR109", "An at_least condition asks for more conditions than it lists")
    GRADES_REVERSED = ("SCR110", "The score for 'possible' is above the score for 'likely'")
    POLICY_INCOMPLETE = ("SCR111", "The disposition policy leaves a grade, red-flag state or disposition unmapped")
    POLICY_UNSAFE = ("SCR112", "An unanswered or unsure red flag would lead to less than a GP")
    POLICY_UNSURE_TEXT = ("SCR113", "One unsure text is given for red-flag states that lead to different dispositions")

    # a definition's logic
    DUPLICATE_SECTION = ("SCR201", "Two sections share an id")
    DUPLICATE_ITEM = ("SCR202", "Two items share an id")
    DUPLICATE_OPTION = ("SCR203", "An option code is listed twice in one item")
    EXCLUSIVE_ON_SINGLE = ("SCR204", "An option of a single-choice item is marked 'exclusive'")
    UNKNOWN_ITEM = ("SCR205", "A condition names an item the questionnaire does not have")
    UNKNOWN_FINDING = ("SCR206", "A condition names a finding the ruleset does not define")
    FINDING_NOT_ALLOWED = ("SCR207", "A finding is read where only items may be read")
    DISPLAY_ITEM_READ = ("SCR208", "A condition reads a display item, which has no answer")
    WRONG_KIND = ("SCR209", "A comparison does not fit the kind of item it reads")
    TEXT_COMPARED = ("SCR210", "A free-text answer is compared with a value")
    OUT_OF_RANGE = ("SCR211", "A compared number lies outside the item's range")
    OPTION_NOT_OFFERED = ("SCR212", "A compared option is not one the item offers")
    ENABLE_WHEN_CYCLE = ("SCR213", "Items show each other in a circle")
    NEVER_SHOWN = ("SCR214", "An item can never be shown")
    OTHER_QUESTIONNAIRE = ("SCR215", "The ruleset was written for another questionnaire")
    QUESTIONNAIRE_VERSION = ("SCR216", "The ruleset was written for another version of the questionnaire")
    DUPLICATE_RULE = ("SCR217", "Two rules share an id")
    FINDING_CYCLE = ("SCR218", "Findings read each other in a circle")
    NEVER_FIRES = ("SCR219", "A rule can never fire")
    ALWAYS_TRUE = ("SCR220", "A red flag or grade cap is true for every response")

    # a response
    RESPONSE_FIELD = ("SCR301", "A field of the response envelope does not have the form it needs")
    TIME_ZONE_MISSING = ("SCR302", "A time has no time zone")
    DATE_OUT_OF_SPAN = ("SCR303", "A date or time lies outside the years a response can have")
    OTHER_RESPONSE_QUESTIONNAIRE = ("SCR304", "The response answers another questionnaire")
    RESPONSE_VERSION = ("SCR305", "The response was collected with another major version of the questionnaire")
    ANSWERS_NOT_MAPPING = ("SCR306", "The answers are not a mapping of item ids to answers")
    UNKNOWN_ANSWER_ITEM = ("SCR307", "An answer is given for an item the questionnaire does not have")
    DISPLAY_ITEM_ANSWERED = ("SCR308", "An answer is given for display text")
    BAD_ANSWER = ("SCR309", "An answer does not fit its question")
    HIDDEN_ANSWERED = ("SCR310", "A question that was not shown has an answer")
    REQUIRED_MISSING = ("SCR311", "A required question has no answer")

    # HL7 FHIR
    FHIR_NOT_RESOURCE = ("SCR401", "The document is not the FHIR resource expected")
    FHIR_WRONG_QUESTIONNAIRE = ("SCR402", "The QuestionnaireResponse does not name this questionnaire and a version")
    FHIR_STATUS = ("SCR403", "The QuestionnaireResponse's status cannot be scored")
    FHIR_BAD_FIELD = ("SCR404", "A field of the resource does not have the form FHIR gives it")
    FHIR_UNKNOWN_ITEM = ("SCR405", "An item's linkId is not in the questionnaire")
    FHIR_DUPLICATE_ITEM = ("SCR406", "An item is answered more than once")
    FHIR_BAD_ANSWER = ("SCR407", "An answer's value type or code does not fit its question")

    # case files
    CASES_NOT_MAPPING = ("SCR501", "A cases file is not a mapping with a 'cases:' list")
    CASE_BAD_ENTRY = ("SCR502", "A case lacks a key or has one of the wrong form")
    CASE_DUPLICATE_ID = ("SCR503", "Two cases share an id")
    CASE_BAD_EXPECTATION = ("SCR504", "A case expects something no result could have")
    CASE_FAILED = ("SCR505", "A case's result differs from what it expects")

    # settings
    CLINIC_FIELD = ("SCR601", "A clinic setting does not have the form it needs")
    PLACEHOLDER_ADDRESS = ("SCR602", "The clinic address is the placeholder shipped with the program")
    NO_ADDRESS = ("SCR603", "The clinic settings give no address")
    NO_CONTACT = ("SCR604", "The clinic settings give neither a phone number nor an e-mail address")
    SECRET_KEY_WEAK = ("SCR605", "The signing key is empty or too short")
    SECRET_KEY_MISSING = ("SCR606", "The signing key is missing though the database exists")
    SECRET_KEY_UNWRITABLE = ("SCR607", "A new signing key cannot be written")
    DATABASE_UNREACHABLE = ("SCR608", "The database cannot be reached")
    DATA_FOLDER = ("SCR609", "The data folder cannot be created")

    # reports and exports
    REPORT_UNWRITABLE = ("SCR701", "The report cannot be written")
    REPORT_EMPTY = ("SCR702", "The PDF renderer returned no document")
    NO_DATABASE = ("SCR703", "There is no database to export from")
    EXPORT_CHECK_FAILED = ("SCR704", "The exported Questionnaire fails its own checks")

    # command-line use
    NO_SUCH_PATH = ("SCR801", "A path given on the command line does not exist")
    NO_DEFINITIONS = ("SCR802", "A folder given on the command line holds no definitions")
    BAD_OPTION_VALUE = ("SCR803", "An option's value cannot be used")
    BAD_ENVIRONMENT = ("SCR804", "An environment variable's value cannot be used")
    MISSING_ARGUMENT = ("SCR805", "A command needs an argument that was not given")

    # staff accounts, API tokens and the terminal intake
    ACCOUNT_NAME = ("SCR901", "A staff user's name cannot be used")
    PASSWORD_TOO_SHORT = ("SCR902", "A password is too short")
    ACCOUNT_EXISTS = ("SCR903", "A staff user or API token of that name exists already")
    NO_SUCH_ACCOUNT = ("SCR904", "There is no staff user or API token of that name")
    PASSWORDS_DIFFER = ("SCR905", "The two passwords typed differ")
    INTAKE_NO_TERMINAL = ("SCR911", "The terminal intake needs an interactive terminal")
    INTAKE_FOLDER = ("SCR912", "The intake's output folder cannot be created or written to")
    INTAKE_UNSAVED = ("SCR913", "The intake cannot save the response")
    DRAFT_UNREADABLE = ("SCR914", "An intake draft cannot be read")
    DRAFT_DAMAGED = ("SCR915", "A file given as an intake draft is damaged or is not a draft")
    DRAFT_OTHER_QUESTIONNAIRE = ("SCR916", "An intake draft was started with another questionnaire")


_BY_CODE = {member.code: member for member in ErrorCode}


def by_code(code: str) -> ErrorCode | None:
    """The catalogue entry with this code string, if there is one."""
    return _BY_CODE.get(code)


GROUPS = {
    "0": "Reading a file",
    "1": "The shape of a file",
    "2": "A definition's logic",
    "3": "A response",
    "4": "HL7 FHIR",
    "5": "Case files",
    "6": "Settings",
    "7": "Reports and exports",
    "8": "Command-line use",
    "9": "Staff accounts and the terminal intake",
}


def catalogue_markdown() -> str:
    """The catalogue as the Markdown page ``docs/error-codes.md``."""
    lines = [
        "# Problem codes",
        "",
        "Every problem `screening` reports carries one of these codes, for example",
        "`def.rules.yaml:31: [SCR205] feature 'movement': unknown item 'neck_movment' — did you mean 'neck_move'?`.",
        "The wording of a message may change; its code does not. The API lists them as `code` in its `errors`.",
        "",
        "This page is written from `screening/error_codes.py` by `python -m screening.error_codes`.",
    ]
    group = ""
    for member in ErrorCode:
        if member.code[3] != group:
            group = member.code[3]
            lines += ["", f"## {GROUPS[group]}", "", "| code | name | meaning |", "|------|------|---------|"]
        lines.append(f"| {member.code} | `{member.name}` | {member.title} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(catalogue_markdown(), end="")
