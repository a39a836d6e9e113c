"""The interpreter walks a flow one input at a time and tells the channel what to render."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from atende.flows import actions as act
from atende.flows.default import load_default_flow
from atende.flows.interpreter import FlowState, Step, advance
from atende.flows.loader import load_flow

VOICE = load_default_flow("voice", crm_lookup_url="https://crm.example/clientes?tel={from}")
CALLER = {"protocol": "20261124000042", "from": "+55 11 99999-0000", "to": "+551140000000"}


def _start() -> Step:
    return advance(VOICE, FlowState.begin(CALLER), act.Start())


def _open_and_looked_up() -> Step:
    step = advance(VOICE, _start().state, act.HoursChecked(open=True))
    return advance(VOICE, step.state, act.LookedUp({"name": "Maria", "segment": "vip"}))


def test_start_speaks_protocol_digit_by_digit_then_recording_notice_then_checks_hours() -> None:
    step = _start()
    said = [a.text for a in step.actions if isinstance(a, act.Say)]
    assert said[0] == "Olá! Seu número de protocolo é 2 0 2 6 1 1 2 4 0 0 0 0 4 2."
    assert "gravada" in said[1]
    assert step.actions[-1] == act.CheckHours("atendimento")
    assert step.state.node == "horario"


def test_english_texts_are_used_when_the_contact_speaks_english() -> None:
    step = advance(VOICE, FlowState.begin(CALLER, language="en"), act.Start())
    assert step.actions[0] == act.Say("Hello! Your protocol number is 2 0 2 6 1 1 2 4 0 0 0 0 4 2.")


def test_lookup_url_carries_the_caller_number_encoded() -> None:
    step = advance(VOICE, _start().state, act.HoursChecked(open=True))
    assert step.actions == (
        act.Lookup("https://crm.example/clientes?tel=%2B55%2011%2099999-0000", 2.0),
    )


def test_menu_choice_hands_off_with_choice_lookup_and_caller_attributes() -> None:
    step = _open_and_looked_up()
    prompt = step.actions[-1]
    assert isinstance(prompt, act.Prompt)
    assert [o.key for o in prompt.options] == ["1", "2", "3", "4", "5", "6", "7", "0"]
    done = advance(VOICE, step.state, act.Reply("6"))
    handoff = done.actions[-1]
    assert isinstance(handoff, act.Handoff)
    assert handoff.attributes["motivo"] == "cancelamento"
    assert handoff.attributes["crm"] == {"name": "Maria", "segment": "vip"}
    assert handoff.attributes["crm_found"] is True
    assert handoff.attributes["protocol"] == CALLER["protocol"]
    assert done.state.finished


def test_failed_lookup_stores_fallback_and_goes_on() -> None:
    step = advance(VOICE, _start().state, act.HoursChecked(open=True))
    step = advance(VOICE, step.state, act.LookedUp(None))
    assert step.state.attributes["crm"] == {}
    assert step.state.attributes["crm_found"] is False
    assert isinstance(step.actions[-1], act.Prompt)


def test_invalid_choice_is_retried_then_falls_back_to_a_person() -> None:
    step = _open_and_looked_up()
    step = advance(VOICE, step.state, act.Reply("9"))
    assert step.actions[0] == act.Say("Opção inválida.")
    assert isinstance(step.actions[1], act.Prompt)
    step = advance(VOICE, step.state, act.NoReply())
    assert step.actions[0] == act.Say("Não recebemos sua opção.")
    step = advance(VOICE, step.state, act.Reply("#"))
    assert isinstance(step.actions[-1], act.Handoff)
    assert "motivo" not in step.state.attributes


def test_chat_accepts_the_label_without_accents() -> None:
    chat = load_default_flow("chat")
    step = advance(chat, FlowState.begin(CALLER), act.Start())
    step = advance(chat, step.state, act.HoursChecked(open=True))
    step = advance(chat, step.state, act.Reply("reclamacao"))
    assert step.state.attributes["motivo"] == "reclamacao"


def test_out_of_hours_offers_callback() -> None:
    step = advance(VOICE, _start().state, act.HoursChecked(open=False))
    assert "segunda a sábado" in step.actions[0].text  # type: ignore[union-attr]
    step = advance(VOICE, step.state, act.Reply("1"))
    callback = [a for a in step.actions if isinstance(a, act.RequestCallback)]
    assert callback and callback[0].attributes["callback_requested"] is True
    assert callback[0].attributes["business_hours"] is False
    assert step.actions[-1] == act.Hangup()


def test_out_of_hours_voicemail_keeps_the_recording() -> None:
    step = advance(VOICE, _start().state, act.HoursChecked(open=False))
    step = advance(VOICE, step.state, act.Reply("2"))
    assert isinstance(step.actions[-1], act.Record)
    step = advance(VOICE, step.state, act.Recorded("https://rec/RE1", 14))
    assert step.state.attributes["voicemail_url"] == "https://rec/RE1"
    assert step.actions[-1] == act.Hangup()


def test_replayed_or_stray_input_asks_again_without_moving() -> None:
    step = _open_and_looked_up()
    again = advance(VOICE, step.state, act.HoursChecked(open=False))
    assert again.state == step.state
    assert again.actions == (step.actions[-1],)
    restarted = advance(VOICE, step.state, act.Start())
    assert restarted.state == step.state


def test_question_stores_digits_only() -> None:
    flow = load_flow(
        {
            "name": "q",
            "start": "q",
            "nodes": {
                "q": {
                    "type": "question",
                    "prompt": "Número da apólice?",
                    "attribute": "apolice",
                    "kind": "digits",
                    "max_length": 6,
                    "next": "fim",
                },
                "fim": {"type": "hangup"},
            },
        }
    )
    step = advance(flow, FlowState.begin({}), act.Start())
    assert step.actions == (act.Ask("Número da apólice?", "apolice", "digits", 6),)
    step = advance(flow, step.state, act.Reply("12-34 5678"))
    assert step.state.attributes["apolice"] == "123456"


def test_state_survives_a_json_round_trip() -> None:
    state = _open_and_looked_up().state
    assert FlowState.from_dict(state.to_dict()) == state


INPUTS = st.one_of(
    st.builds(act.Reply, st.sampled_from(["0", "1", "2", "6", "7", "9", "#", "reclamação"])),
    st.just(act.NoReply()),
    st.builds(act.HoursChecked, st.booleans()),
    st.builds(act.LookedUp, st.one_of(st.none(), st.just({"name": "Ana"}))),
    st.builds(act.Recorded, st.just("https://rec/1"), st.integers(0, 120)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(INPUTS, max_size=25))
def test_any_input_sequence_ends_in_one_terminal_action_or_waits(inputs: list[act.Input]) -> None:
    step = _start()
    for given_input in inputs:
        step = advance(VOICE, step.state, given_input)
        terminal = [a for a in step.actions if isinstance(a, act.Handoff | act.Hangup)]
        if step.state.finished:
            assert len(terminal) <= 1
        else:
            assert not terminal
            assert step.state.node in VOICE.nodes
            assert step.actions, "a waiting flow always tells the channel what it waits for"
