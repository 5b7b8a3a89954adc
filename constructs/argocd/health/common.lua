-- Shared by the health checks of every flotilla.dev kind (embedded before each kind's script).
-- Argo CD runs these with gopher-lua (Lua 5.1); `obj` is the live object.
local function condition_map(obj)
  local by_type = {}
  if obj.status ~= nil and obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      by_type[c.type] = c
    end
  end
  return by_type
end

local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return c.type .. " " .. c.status .. " (" .. (c.reason or "") .. "): " .. c.message
  end
  return c.type .. " " .. c.status .. " (" .. (c.reason or "") .. ")"
end

-- failing: condition types whose False status means Degraded for this kind.
local function flotilla_health(obj, failing)
  local hs = {}
  if obj.status == nil or obj.status.conditions == nil or #obj.status.conditions == 0 then
    hs.status = "Progressing"
    hs.message = "Waiting for the Flotilla operator to report status"
    return hs
  end
  local generation = obj.metadata.generation
  local observed = obj.status.observedGeneration
  if generation ~= nil and observed ~= nil and observed < generation then
    hs.status = "Progressing"
    hs.message = "Waiting for the operator to observe generation " .. generation .. " (status is for " .. observed .. ")"
    return hs
  end
  local c = condition_map(obj)
  if c.Degraded ~= nil and c.Degraded.status == "True" then
    hs.status = "Degraded"
    hs.message = describe(c.Degraded)
    return hs
  end
  for _, t in ipairs(failing) do
    if c[t] ~= nil and c[t].status == "False" then
      hs.status = "Degraded"
      hs.message = describe(c[t])
      return hs
    end
  end
  if c.Ready ~= nil and c.Ready.status == "True" then
    hs.status = "Healthy"
    hs.message = describe(c.Ready)
    return hs
  end
  if c.Progressing ~= nil and c.Progressing.status == "True" then
    hs.status = "Progressing"
    hs.message = describe(c.Progressing)
    return hs
  end
  if c.Ready ~= nil and c.Ready.status == "False" then
    hs.status = "Degraded"
    hs.message = describe(c.Ready)
    return hs
  end
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end
