"""The webhook's own form parser and signature agree with the standard library's parse_qsl and with
Twilio's RequestValidator, whatever the fields hold."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast
from urllib.parse import parse_qsl, quote, urlencode

from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from contactcenter.context import Services
from ivr.webhook import Form, form_signature, parse_form, signature_ok

fields = st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=30), max_size=30)


@given(fields)
def test_a_form_reads_back_as_the_fields_it_was_encoded_from(params: dict[str, str]) -> None:
    for encoded in (urlencode(params), urlencode(params, quote_via=quote)):
        assert parse_form(encoded.encode()).params == params == dict(parse_qsl(encoded, keep_blank_values=True))


# Twilio's own shape (names of letters, phone numbers, spaces), which is read the fast way.
twilio_like = st.dictionaries(
    st.text("ACFTalmorst", min_size=1, max_size=8), st.text("+0123 abc", max_size=16), max_size=30
)


@given(twilio_like)
def test_twilio_shaped_forms_read_back_exactly(params: dict[str, str]) -> None:
    encoded = urlencode(params)
    form = parse_form(encoded.encode())
    assert form.params == params
    assert form.signed == Form.of(params).signed or any(a.startswith(b) for a in params for b in params if a != b)


@given(st.text("ab=&%2B+", max_size=40))
def test_bodies_made_of_separators_and_escapes_parse_as_parse_qsl_reads_them(body: str) -> None:
    assert parse_form(body.encode()).params == dict(parse_qsl(body, keep_blank_values=True))


@given(st.text(max_size=200))
def test_any_body_parses_as_parse_qsl_reads_it(body: str) -> None:
    assert parse_form(body.encode()).params == dict(parse_qsl(body, keep_blank_values=True))


def test_phone_numbers_and_odd_fields_are_unquoted() -> None:
    body = "From=%2B8613912345678&To=%2B862180000000&SpeechResult=call+back&Caller=%2B86+1&Empty=&Flag&x%20y=1"
    assert parse_form(body.encode()).params == {
        "From": "+8613912345678",
        "To": "+862180000000",
        "SpeechResult": "call back",
        "Caller": "+86 1",
        "Empty": "",
        "Flag": "",
        "x y": "1",
    }


def services_with(token: str) -> Services:
    return cast(Services, SimpleNamespace(settings=SimpleNamespace(twilio_auth_token=token)))


@given(fields, st.text(max_size=40))
def test_the_signature_is_twilios(params: dict[str, str], token: str) -> None:
    url = "https://hotline.example.com/twilio/voice/gather?node=language&attempt=1"
    expected = RequestValidator(token).compute_signature(url, params)
    assert form_signature(token, url, Form.of(params)) == expected
    # As read from the body: the fast reading signs the same text, or the validator takes over.
    assert signature_ok(services_with(token), url, parse_form(urlencode(params).encode()), expected)
    assert not signature_ok(services_with(token + "x"), url, parse_form(urlencode(params).encode()), expected)


def test_names_that_sort_differently_with_their_values_still_validate() -> None:
    """'A1=…' sorts before 'A=…' though 'A' comes first: the fast text is wrong, the validator is not."""
    params = {"A": "1", "A1": "2"}
    expected = RequestValidator("token").compute_signature("https://x/y", params)
    assert signature_ok(services_with("token"), "https://x/y", parse_form(b"A1=2&A=1"), expected)


def test_a_field_sent_twice_keeps_its_last_value_as_parse_qsl_does() -> None:
    assert parse_form(b"Digits=2&Digits=1").params == {"Digits": "1"}
