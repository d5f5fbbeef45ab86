"""The command endpoints, one per use case the registry lets people send from the API.

Each is `POST /api/commands/<slug>` with the command's own fields but the actor (the signed-in
user is the actor); the command id is the client's, so a retry records once.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, create_model

from api.deps import DeskDep
from api.errors import ERROR_RESPONSES
from application.outcome import Outcome
from application.registry import API, REGISTRY, Use

router = APIRouter(prefix="/api/commands", tags=["commands"], responses=ERROR_RESPONSES)


class Accepted(Outcome):
    """A command was recorded (or had been, under the same command id): the ids it made."""

    command_id: UUID


def body_of(use: Use[Any]) -> type[BaseModel]:
    """The request body of a use case: its command's fields but the actor, rules included."""
    fields: Any = {
        name: (field.annotation, field)
        for name, field in use.model.model_fields.items()
        if name != "actor"
    }
    return create_model(
        f"{use.model.__name__}Body",
        __config__=ConfigDict(extra="forbid", str_strip_whitespace=True),
        __doc__=use.model.__doc__,
        **fields,
    )


def endpoint_for(use: Use[Any]) -> Any:
    """The endpoint of one use case (FastAPI reads its signature for the body and the desk)."""
    body_model = body_of(use)

    async def endpoint(body: Any, desk: Any) -> Accepted:
        outcome = await desk.execute(use.model, body.model_dump())
        return Accepted(command_id=body.command_id, **outcome.model_dump())

    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "body", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[body_model, Body()]
            ),
            inspect.Parameter("desk", inspect.Parameter.KEYWORD_ONLY, annotation=DeskDep),
        ],
        return_annotation=Accepted,
    )
    endpoint.__name__ = use.slug.replace("-", "_")
    endpoint.__doc__ = use.summary
    return endpoint


for _use in REGISTRY.on(API):
    router.add_api_route(
        f"/{_use.slug}",
        endpoint_for(_use),
        methods=["POST"],
        response_model=Accepted,
        summary=_use.summary or _use.slug,
        operation_id=_use.slug,
    )
