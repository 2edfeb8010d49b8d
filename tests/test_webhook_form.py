"""The webhook's own form parser and signature agree with the standard library's parse_qsl and with
Twilio's RequestValidator, whatever the fields hold."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from ivr.webhook import _signature, parse_form

fields = st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=30), max_size=30)


@given(fields)
def test_a_form_reads_back_as_the_fields_it_was_encoded_from(params: dict[str, str]) -> None:
    for encoded in (urlencode(params), urlencode(params, quote_via=quote)):
        assert parse_form(encoded) == params == dict(parse_qsl(encoded, keep_blank_values=True))


@given(st.text(max_size=200))
def test_any_body_parses_as_parse_qsl_reads_it(body: str) -> None:
    assert parse_form(body) == dict(parse_qsl(body, keep_blank_values=True))


def test_phone_numbers_and_odd_fields_are_unquoted() -> None:
    body = "From=%2B8613912345678&To=%2B862180000000&SpeechResult=call+back&Caller=%2B86+1&Empty=&Flag&x%20y=1"
    assert parse_form(body) == {
        "From": "+8613912345678",
        "To": "+862180000000",
        "SpeechResult": "call back",
        "Caller": "+86 1",
        "Empty": "",
        "Flag": "",
        "x y": "1",
    }


@given(fields, st.text(max_size=40))
def test_the_signature_is_twilios(params: dict[str, str], token: str) -> None:
    url = "https://hotline.example.com/twilio/voice/gather?node=language&attempt=1"
    assert _signature(token, url, params) == RequestValidator(token).compute_signature(url, params)


def test_a_field_sent_twice_keeps_its_last_value_as_parse_qsl_does() -> None:
    assert parse_form("Digits=1&Digits=2") == {"Digits": "2"}
